"""The traffic each test plays, and what the burn model certifies each severity's alerts do under it.

Only certain verdicts become checks; a plan is the same for every SLO of a shape, so it is built once per shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from generator import conventions as conv
from generator.burnmodel import Model, Shape, State, Traffic, outage_detection_minutes
from generator.durations import format_number
from generator.errors import SlogenError
from generator.windows import BurnPair

RATE = 600  # requests per minute in every scenario but the low-traffic one
HEALTHY_LEAD = 180  # minutes of clean traffic before a fault, so long windows hold history
CHECK_EVERY = 30


class ScenarioError(SlogenError):
    """A scenario did not behave as designed: a bug in slogen's math, never a user mistake."""


@dataclass(frozen=True)
class Scenario:
    name: str
    traffic: Traffic
    ends_at: int | None = None  # minute of the last sample, when the metrics vanish


# What a timeline check queries: the count of a severity's firing alerts, one pair's alert, or the no-data alert.
Ref = str | BurnPair | None


def outage(slo: Shape) -> Scenario:
    detect = min((outage_detection_minutes(slo, p) for p in slo.pairs), default=30)
    return Scenario("full outage after healthy traffic", Traffic.of([(HEALTHY_LEAD, RATE, 0), (math.ceil(detect * 1.3) + 10, RATE, RATE)]))


def volume(share: float, rounding=round) -> tuple[int, int]:
    """(requests, bad requests) per minute close to `share`, with enough bad ones that rounding stays small."""
    total = RATE * max(1, math.ceil(50 / (share * RATE))) if share > 0 else RATE
    return total, min(total, int(rounding(share * total)))


def slow_burn(slo: Shape) -> Scenario:
    page = [float(p.factor) for p in slo.pairs if p.severity == conv.SEVERITY_PAGE]
    ticket = [float(p.factor) for p in slo.pairs if p.severity == conv.SEVERITY_TICKET] or [1.0]
    burn = math.sqrt(max(ticket) * min(page)) if page else 2 * max(ticket)
    total, bad = volume(min(1.0, burn * float(slo.budget)))
    label = format_number(round(bad / total / float(slo.budget), 2))
    return Scenario(f"slow burn at {label}x", Traffic.of([(120, total, 0), (600, total, bad)]))


def under_budget(slo: Shape) -> Scenario:
    lowest = min((float(p.factor) for p in slo.pairs), default=1.0)
    total, bad = volume(0.85 * min(lowest, 1.0) * float(slo.budget), math.floor)
    return Scenario("steady burn just under budget pace", Traffic.of([(150, total, bad)]))


def single_failure() -> Scenario:
    return Scenario("one failure at 2 requests per minute", Traffic.of([(90, 2, 0), (1, 2, 1), (60, 2, 0)]))


# --- plans: what each scenario must show ---------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One scenario's checks, the same for every SLO of a shape: (minute, what it queries, whether one alert fires)."""

    scenario: Scenario
    checks: tuple[tuple[int, Ref, bool], ...]


@lru_cache(maxsize=256)  # a spec's SLOs come in a few shapes: the burn model runs once for each
def scenario_plans(shape: Shape) -> tuple[Plan, ...]:
    decided = shape.min_events >= 2
    return (
        plan_scenario(shape, outage(shape), expect_page=True),
        plan_scenario(shape, slow_burn(shape), expect_ticket=True, expect_page=False),
        plan_scenario(shape, under_budget(shape), expect_page=False, expect_ticket=False),
        plan_scenario(shape, single_failure(), expect_page=False if decided else None, expect_ticket=False if decided else None),
    )


def plan_scenario(shape: Shape, scenario: Scenario, expect_page: bool | None = None, expect_ticket: bool | None = None) -> Plan:
    model = Model(shape, scenario.traffic)
    end = scenario.traffic.minutes
    checks: list[tuple[int, Ref, bool]] = []
    for severity, expected in ((conv.SEVERITY_PAGE, expect_page), (conv.SEVERITY_TICKET, expect_ticket)):
        pairs = shape.pairs_of(severity)
        if not pairs:
            continue
        fired = _tier_checks(severity, pairs, tuple(model.states(p) for p in pairs), end, checks, scenario.name)
        if expected is not None and fired != expected:
            raise ScenarioError(f"{scenario.name}: the {severity} tier {'did not fire' if expected else 'fired'}")
    checks.append((end, None, False))
    return Plan(scenario, tuple(checks))


def _tier_checks(
    severity: str, pairs: tuple[BurnPair, ...], states: tuple[tuple[State, ...], ...],
    end: int, checks: list[tuple[int, Ref, bool]], scenario: str,
) -> bool:
    """Checks for one severity's alerts; True when the tier fires.

    The severity fires while any of its pairs does; the latch makes that exactly one alert, so the
    test counts them. Which pair holds it is asserted where the model leaves no doubt: that pair
    fires first while every other pair of the severity is certainly silent up to then."""
    first_fire, last_silent, silent, holds_at_end, owner = _tier_plan(states)
    query: Ref = severity if len(pairs) > 1 else pairs[0]
    if first_fire is None:
        if not silent:
            raise ScenarioError(f"{scenario}: the {severity} tier is never decided")
        checks += [(t, query, False) for t in silent]
        return False
    if last_silent is not None:
        checks.append((last_silent, query, False))
    checks.append((first_fire, query, True))
    if holds_at_end and end != first_fire:
        checks.append((end, query, True))  # still one alert once the slower pairs catch up
    if len(pairs) > 1 and owner is not None:
        checks.append((first_fire, pairs[owner], True))
    return True


@lru_cache(maxsize=4096)  # SLOs of the same shape get the same states
def _tier_plan(states: tuple[tuple[State, ...], ...]) -> tuple[int | None, int | None, tuple[int, ...], bool, int | None]:
    """(first fire, last silent before it, silent minutes, firing at the end, the pair that certainly holds it)."""
    any_state = tuple(_any_state(s) for s in zip(*states, strict=True))
    first_fire, last_silent, silent = _decided(any_state)
    if first_fire is None:
        return None, None, silent, False, None
    owner = next(i for i, s in enumerate(states) if s[first_fire] == "fire")
    certain = all(s[t] == "silent" for i, s in enumerate(states) if i != owner for t in range(1, first_fire + 1))
    return first_fire, last_silent, silent, any_state[-1] == "fire", owner if certain else None


def _any_state(states: tuple[State, ...]) -> State:
    if "fire" in states:
        return "fire"
    return "silent" if all(s == "silent" for s in states) else "unknown"


@lru_cache(maxsize=4096)  # SLOs of the same shape get the same states
def _decided(states: tuple[State, ...]) -> tuple[int | None, int | None, tuple[int, ...]]:
    """What a pair's timeline lets a test assert: (first minute it fires, last silent minute before that,
    or, when it never fires, the minutes it is certainly silent, every CHECK_EVERY and at the end)."""
    end = len(states) - 1
    first_fire = next((t for t in range(1, end + 1) if states[t] == "fire"), None)
    if first_fire is not None:
        return first_fire, next((t for t in range(first_fire - 1, 0, -1) if states[t] == "silent"), None), ()
    silent = {t for t in range(CHECK_EVERY, end + 1, CHECK_EVERY) if states[t] == "silent"}
    if states[end] == "silent":
        silent.add(end)
    return None, None, tuple(sorted(silent))
