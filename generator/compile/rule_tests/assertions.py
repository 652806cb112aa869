"""The checks of each test case: a scenario's timeline, the annotations, the no-data alert, the SLI's classification."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from generator import conventions as conv
from generator import promql as q
from generator.burnmodel import Traffic
from generator.compile import alert_rules
from generator.compile.rule_tests.scenarios import RATE, Plan, Ref
from generator.compile.rule_tests.series import dims_of, render_series, series_of, status_label, status_values
from generator.durations import format_number, parse_seconds
from generator.ir import AlertCheck, AlertingRule, ExprCheck, Series, TestCase
from generator.resolve import HistogramSLI, RatioSLI, ResolvedService, ResolvedSLO
from generator.windows import BurnPair


def alerts_query(rule: AlertingRule, extra: dict[str, str] | None = None) -> str:
    match = {conv.LABEL_ALERTNAME: rule.alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, **{k: rule.labels[k] for k in (conv.LABEL_LONG_WINDOW, conv.LABEL_SHORT_WINDOW) if k in rule.labels}}
    return q.exact(conv.ALERTS, {**match, **(extra or {})})


def alerts_sample(rule: AlertingRule, extra: dict[str, str] | None = None) -> str:
    labels = {conv.LABEL_ALERTNAME: rule.alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, **rule.labels, **(extra or {})}
    return render_series(conv.ALERTS, labels)


def minutes(t: int) -> str:
    return f"{t}m"


@dataclass(frozen=True)
class Reads:
    """What an SLO's timeline checks query, built once for all its scenarios."""

    pair: dict[BurnPair, tuple[str, str]]  # the ALERTS query of the pair's rule, and the series it returns when firing
    count: dict[str, str]  # per severity of several pairs: how many of its alerts fire
    nodata: str

    def query(self, ref: Ref) -> tuple[str, str]:
        """The query and the series it returns when one alert fires."""
        if ref is None:
            return self.nodata, ""
        if isinstance(ref, str):
            return self.count[ref], ""  # count() has no labels
        return self.pair[ref]


def reads_of(slo: ResolvedSLO, rules: list[AlertingRule]) -> Reads:
    burn = {(r.labels[conv.LABEL_LONG_WINDOW], r.labels[conv.LABEL_SHORT_WINDOW]): r for r in rules if conv.LABEL_LONG_WINDOW in r.labels}
    rule_of = {p: burn[(p.long, p.short)] for p in slo.pairs}
    nodata = next(r for r in rules if r.alert == slo.nodata_alert)
    return Reads(
        pair={p: (alerts_query(r), alerts_sample(r)) for p, r in rule_of.items()},
        count={s: _count_query(slo, s) for s in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET) if len(slo.pairs_of(s)) > 1},
        nodata=alerts_query(nodata),
    )


def timeline_case(service: ResolvedService, slo: ResolvedSLO, reads: Reads, plan: Plan) -> TestCase:
    # By time, then query: no two checks of a timeline share both.
    checks = sorted((minute, *reads.query(ref), fires) for minute, ref, fires in plan.checks)
    return TestCase(
        name=conv.test_case_name(slo.name, plan.scenario.name),
        series=series_of(service, slo, plan.scenario.traffic),
        exprs=tuple(ExprCheck(query, minutes(minute), ((sample, 1.0),) if fires else ()) for minute, query, sample, fires in checks),
    )


def _count_query(slo: ResolvedSLO, severity: str) -> str:
    return f"count({alert_rules.firing_burn_alerts(slo, severity)})"


def annotations_case(service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule]) -> TestCase:
    """Constant bad share from the first minute: every window holds the same ratio, so values are exact."""
    burn = [r for r in rules if conv.LABEL_LONG_WINDOW in r.labels]
    top = max((float(p.factor * slo.budget) for p in slo.pairs), default=0.5)
    bad = min(RATE, math.ceil(1.25 * top * RATE))
    while _near_rounding_edge(bad / RATE / float(slo.budget)):
        bad += 1
    ratio = bad / RATE
    value = ratio / float(slo.budget)
    left = f"{(1 - value) * 100:.4g}%"
    at = 10
    expected = []
    owners = {(ps[0].long, ps[0].short) for s in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET) if (ps := slo.pairs_of(s))}
    for rule in burn:
        if (rule.labels[conv.LABEL_LONG_WINDOW], rule.labels[conv.LABEL_SHORT_WINDOW]) not in owners:
            continue  # the latch: every pair burns from the first minute, and the fastest of each severity holds it
        annotations = {
            k: _expand(v, value=f"{value:.1f}", left=left) for k, v in rule.annotations.items()
        }
        expected.append((dict(rule.labels), annotations))
    traffic = Traffic.of([(at + 5, RATE, bad)])
    checks = [AlertCheck(slo.nodata_alert, minutes(at))]
    if burn:
        checks.insert(0, AlertCheck(slo.burn_alert, minutes(at), tuple(expected)))
    return TestCase(
        name=conv.test_case_name(slo.name, f"annotations at a constant {format_number(round(value, 1))}x burn"),
        series=series_of(service, slo, traffic),
        alerts=tuple(checks),
    )


def _near_rounding_edge(value: float) -> bool:
    """True when one decimal of `value`, or four digits of the budget left, could round either way."""
    tenth = value * 10 - math.floor(value * 10)
    percent = abs(1 - value) * 100
    digits = percent / 10 ** (math.floor(math.log10(percent)) - 3) if percent else 0
    return abs(tenth - 0.5) < 1e-6 or abs(digits - math.floor(digits) - 0.5) < 1e-6


_VALUE = re.compile(r'\{\{ \$value \| printf "%\.1f" \}\}')
_LEFT = re.compile(r"\{\{ with query `[^`]*` \}\}\{\{ \. \| first \| value \| humanizePercentage \}\}\{\{ else \}\}unknown\{\{ end \}\}")


def _expand(template: str, value: str, left: str) -> str:
    """What Prometheus renders for our own annotation templates, given the two values they read."""
    text = _LEFT.sub(lambda _: left, _VALUE.sub(lambda _: value, template))
    return text.replace('{{ "{{" }}', "{{")


def nodata_case(service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule]) -> TestCase:
    rule = next(r for r in rules if r.alert == slo.nodata_alert)
    last = 30
    hold = math.ceil(parse_seconds(slo.nodata_for) / 60)
    absent_from = last + 6  # the last sample stays visible for Prometheus' 5m lookback
    traffic = Traffic.of([(absent_from + hold + 5, RATE, 0)])
    extra = alert_rules.result_labels(slo, rule)
    annotations = {k: _expand(v, "", "") for k, v in rule.annotations.items()}
    fires_at = absent_from + hold + 1
    query = str(q.Selector(conv.ALERTS, (q.Matcher(conv.LABEL_ALERTNAME, "=", rule.alert), q.Matcher(conv.LABEL_ALERTSTATE, "=", conv.STATE_FIRING))))
    return TestCase(
        name=conv.test_case_name(slo.name, "metrics vanish"),
        series=series_of(service, slo, traffic, ends_at=last),
        exprs=(
            ExprCheck(query, minutes(last - 10)),
            ExprCheck(query, minutes(absent_from + hold - 2)),
            ExprCheck(query, minutes(fires_at), ((alerts_sample(rule, extra), 1.0),)),
        ),
        alerts=(AlertCheck(rule.alert, minutes(fires_at), (({**rule.labels, **extra}, annotations),)),),
    )


def classification_case(service: ResolvedService, slo: ResolvedSLO) -> TestCase:
    """Which events count as bad: exact shares on fixed traffic."""
    sel = {conv.LABEL_SERVICE: slo.service, conv.LABEL_SLO: slo.name}
    expr = f"round({render_series(conv.sli_error_ratio('5m'), sel)} * 1000)"
    profile = service.profile
    dims = dims_of(profile, "claude-haiku-4-5", "search")
    sli = slo.sli
    series: list[Series] = []
    if isinstance(sli, RatioSLI):
        good, bad, excluded = status_values(slo, profile)
        status = status_label(profile)
        timeout = profile.outcome.spell("timeout")
        per_minute = {good: 500, bad: 50}
        per_minute[timeout] = per_minute.get(timeout, 0) + 50
        if excluded:
            per_minute[excluded] = 400
        for code, n in per_minute.items():
            series.append(Series(q.series(sli.total, {**dims, status: code}), f"0+{n}x20"))
        # The expected share from the SLI's own matchers: a `bad_status` may leave timeouts good.
        counted = {c: n for c, n in per_minute.items() if sli.total.admits(status, c)}
        failed = sum(n for c, n in counted.items() if sli.bad.admits(status, c))
        expected = round(failed / sum(counted.values()) * 1000)
        verdict = "fail" if sli.bad.admits(status, timeout) else "count as success"
        name = conv.test_case_name(slo.name, f"timeouts {verdict}" + (f", {excluded} burns no budget" if excluded else ""))
    else:
        assert isinstance(sli, HistogramSLI)
        # Prometheus 3 writes le="3.0" where 2 wrote le="3": the rules must read both.
        le2 = format_number(parse_seconds(sli.threshold))
        le3 = le2 if "." in le2 else f"{le2}.0"
        for shard, le, good_per_min in (("p2", le2, 200), ("p3", le3, 250)):
            shard_labels = {**dims, "shard": shard}
            for bucket, n in ((le, good_per_min), ("+Inf", 300)):
                series.append(Series(q.series(sli.total.renamed(sli.good.metric), {**shard_labels, "le": bucket}), f"0+{n}x20"))
            series.append(Series(q.series(sli.total, shard_labels), "0+300x20"))
        expected = round(150 / 600 * 1000)
        name = conv.test_case_name(slo.name, "le matches Prometheus 2 and 3 bucket labels")
    return TestCase(name=name, series=tuple(series), exprs=(ExprCheck(expr, "15m", ((render_series("", sel), float(expected)),)),))
