"""Cases of many SLOs packed into shared promtool test cases."""

from __future__ import annotations

from generator import conventions as conv
from generator.ir import Series, TestCase

# --- packing ------------------------------------------------------------------------------------
# promtool evaluates every rule group of the file at every step of every test case, so one case per
# SLO and scenario costs SLOs x SLOs: ten SLOs took minutes, a thousand would take months. Cases of
# the same scenario share one test case whenever no SLO in it can see another's series: either
# their input is the very same series, or they read disjoint metrics. Each SLO then sees exactly the
# input it would see alone, so every check keeps its meaning, and the cost grows linearly.

MAX_NAMED = 3


def pack(cases: list[tuple[frozenset[str], TestCase]]) -> list[TestCase]:
    """Cases with the metrics their SLO reads (every series of a case is of one of them) -> shared cases."""
    same: dict[tuple[Series, ...], tuple[set[str], list[TestCase]]] = {}
    for reads, case in cases:
        metrics, members = same.setdefault(case.series, (set(), []))
        metrics |= reads
        members.append(case)
    bins: list[tuple[set[str], list[TestCase]]] = []
    for metrics, members in same.values():
        home = next((b for b in bins if b[0].isdisjoint(metrics)), None)
        if home is None:
            bins.append((set(metrics), list(members)))
        else:
            home[0].update(metrics)
            home[1].extend(members)
    return [_merged(members) for _, members in bins]


def _merged(members: list[TestCase]) -> TestCase:
    if len(members) == 1:
        return members[0]
    return TestCase(
        name=_merged_name(members),
        series=tuple(dict.fromkeys(s for m in members for s in m.series)),
        exprs=tuple(c for m in members for c in m.exprs),
        alerts=tuple(c for m in members for c in m.alerts),
    )


def _merged_name(members: list[TestCase]) -> str:
    """`outage: a, b, c and 7 more SLOs`."""
    by_scenario: dict[str, list[str]] = {}
    for m in members:
        slo, scenario = conv.test_case_parts(m.name)
        by_scenario.setdefault(scenario, []).append(slo)
    parts = []
    for scenario, slos in by_scenario.items():
        hidden = len(slos) - MAX_NAMED
        more = f" and {hidden} more SLO{'s' if hidden > 1 else ''}" if hidden > 0 else ""
        parts.append(conv.test_case_name(scenario, f"{', '.join(slos[:MAX_NAMED])}{more}"))
    return "; ".join(parts)
