"""promtool tests for the failure-mode alerts, at 100 requests a minute: an expired key, a retired model id on one
model, a storm of prompts over the context window, an overloaded upstream the retries hide; and the quiet cases
beside them (a stray 401 at night, a daily 3% of prompts too long, a few retried attempts)."""

from __future__ import annotations

import math
from fractions import Fraction

from generator import conventions as conv
from generator import promql as q
from generator.compile.checks import counter, firing_count
from generator.compile.failure_rules import SHORT, SURGE, SURGE_FAST, UPSTREAM, UPSTREAM_SHORT
from generator.durations import parse_seconds
from generator.ir import ExprCheck, Series, TestCase
from generator.resolve.failures import ResolvedFailures

RATE = 100  # requests a minute, more where a spec's min_events asks for more
MAIN, SIDE = "claude-sonnet-4-6", "claude-haiku-4-5"
SMALL = 0.05  # the retired model's share of traffic
DAILY = 0.03  # prompts too long on an ordinary day
BLIP = 5  # minutes of an upstream blip


def _firing(f: ResolvedFailures, what: str, at: int, count: int, severity: str | None = None, by: dict[str, str] | None = None) -> ExprCheck:
    match = {conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_ALERTNAME: conv.failure_alert(f.service, what)}
    return firing_count({**match, **({conv.LABEL_SEVERITY: severity} if severity else {})}, at, count, by=by if count else None)


def _requests(f: ResolvedFailures, status: str, segments: list[tuple[int, float]], **labels: str) -> Series:
    return Series(q.series(f.requests, {f.status_label: f.outcome.spell(status), **labels}), counter(segments))


def _minutes(duration: str) -> float:
    return parse_seconds(duration) / 60


def _storm_bound(share: Fraction, window: str, hold: str) -> int:
    """Minutes from every request failing that way to firing: the window's share passes the line, the hold runs, and
    a minute each for the evaluation and the sample."""
    return math.ceil(float(share) * _minutes(window) + _minutes(hold)) + 2


def _rate(min_events: int, window: str, share: float = 1.0) -> float:
    """Requests a minute at which `share` of them fill the min-events guard in half the window."""
    return max(RATE, math.ceil(2 * min_events / (_minutes(window) * share)))


def _refused_cases(f: ResolvedFailures) -> list[TestCase]:
    cases, lead = [], 60
    if (a := f.credentials) is not None:
        rate, bound = _rate(a.min_events, SHORT), _storm_bound(a.share, SHORT, a.hold)
        cases.append(
            TestCase(
                f"failures: every request answered 401 (an expired key) pages within {bound} minutes",
                (_requests(f, "200", [(lead, rate), (bound + 5, 0)]), _requests(f, "401", [(lead, 0), (bound + 5, rate)])),
                exprs=(_firing(f, "CredentialsRejected", lead, 0), _firing(f, "CredentialsRejected", lead + bound, 1, conv.SEVERITY_PAGE)),
            )
        )
        if a.min_events > 1:
            cases.append(
                TestCase(
                    "failures: a stray 401 at 2 requests a minute pages no one",
                    (_requests(f, "200", [(60, 2)]), _requests(f, "403", [(30, 0), (1, 1), (29, 0)])),
                    exprs=tuple(_firing(f, "CredentialsRejected", m, 0) for m in (30, 31, 32, 35, 40)),
                )
            )
    if (a := f.not_found) is not None and a.by is not None:
        side = {a.by: SIDE}
        small = _rate(a.min_events, SHORT, SMALL) * SMALL  # the retired model's requests a minute
        bound = _storm_bound(a.share, SHORT, a.hold)
        cases.append(
            TestCase(
                f"failures: a retired model id on a model with {SMALL:.0%} of traffic pages within {bound} minutes, for that model",
                (
                    _requests(f, "200", [(lead + bound + 5, small / SMALL - small)], **{a.by: MAIN}),
                    _requests(f, "200", [(lead, small), (bound + 5, 0)], **side),
                    _requests(f, "404", [(lead, 0), (bound + 5, small)], **side),
                ),
                exprs=(
                    _firing(f, "ModelNotFound", lead, 0),
                    _firing(f, "ModelNotFound", lead + bound, 1, conv.SEVERITY_PAGE, by={conv.LABEL_MODEL: SIDE}),
                ),
            )
        )
    return cases


def _surge_cases(f: ResolvedFailures) -> list[TestCase]:
    s = f.client_errors
    assert s is not None
    a = s.alert
    rate = _rate(a.min_events, SURGE_FAST)
    # Every day, 3% of prompts are too long: quiet whenever the lines sit well above it.
    quiet = float(s.critical) > DAILY * 1.5 and (float(a.share) > DAILY * 1.5 or float(s.above_baseline) > 0.01)
    daily = rate * DAILY if quiet else 0
    bound = _storm_bound(s.critical, SURGE_FAST, s.critical_for)
    cases = [
        TestCase(
            f"failures: a storm of 400s (prompts over the context window after a deploy) pages within {bound} minutes",
            (_requests(f, "200", [(120, rate - daily), (bound + 5, 0)]), _requests(f, "400", [(120, daily), (bound + 5, rate)])),
            exprs=(_firing(f, "ClientErrorSurge", 120, 0), _firing(f, "ClientErrorSurge", 120 + bound, 1, conv.SEVERITY_PAGE)),
        )
    ]
    # A storm long enough to warn: when it ends, the warning ends with it (its 5m window) instead of being told after the page clears.
    start, long = 120, math.ceil(_minutes(SURGE) + _minutes(a.hold)) + 10
    cases.append(TestCase(
        f"failures: a {long}-minute storm of 400s warns while it lasts and raises nothing 5 minutes after it ends",
        (_requests(f, "200", [(start, rate - daily), (long, 0), (10, rate - daily)]), _requests(f, "400", [(start, daily), (long, rate), (10, daily)])),
        exprs=(_firing(f, "ClientErrorSurge", start + long, 1, conv.SEVERITY_TICKET), _firing(f, "ClientErrorSurge", start + long + 5, 0)),
    ))
    if quiet:
        cases.insert(0, TestCase(
            f"failures: {DAILY:.0%} of requests answered 400 all day long raises nothing",
            (_requests(f, "200", [(240, rate - daily)]), _requests(f, "400", [(240, daily)])),
            exprs=tuple(_firing(f, "ClientErrorSurge", m, 0) for m in (30, 60, 120, 239)),
        ))
    low, high = max(float(a.share), DAILY + float(s.above_baseline)), float(s.critical)
    if quiet and high - low > 0.05:  # room for a share that warns and does not page
        level, lead = (low + high) / 2, 180
        at = lead + math.ceil(_minutes(SURGE) + _minutes(a.hold)) + 5
        cases.append(TestCase(
            f"failures: {level:.0%} of requests answered 400 warns, against a {DAILY:.0%} baseline, and pages no one",
            (_requests(f, "200", [(lead, rate - daily), (at - lead + 5, rate * (1 - level))]), _requests(f, "400", [(lead, daily), (at - lead + 5, rate * level)])),
            exprs=(
                _firing(f, "ClientErrorSurge", lead, 0),
                _firing(f, "ClientErrorSurge", at, 1, conv.SEVERITY_TICKET),
                _firing(f, "ClientErrorSurge", at + 4, 0, conv.SEVERITY_PAGE),
            ),
        ))
    return cases


def _upstream_cases(f: ResolvedFailures) -> list[TestCase]:
    a = f.upstream
    assert a is not None

    def attempts(status: str, segments: list[tuple[int, float]]) -> Series:
        return Series(q.series(a.total, {f.attempt_status: status}), counter(segments))  # HTTP codes in every profile

    share = (1 + float(a.share)) / 2  # of attempts failing: halfway between the line and all of them
    rate = max(RATE, math.ceil(2 * a.min_events * (1 - share) / (_minutes(UPSTREAM) * share)))
    failing = rate * share / (1 - share)  # failed first attempts a minute, beside `rate` answered ones
    lead, hold = 30, _minutes(a.hold)
    at = lead + math.ceil(_minutes(UPSTREAM) + hold) + 5
    cases = [
        TestCase(
            "failures: an overloaded upstream whose failures the retries hide is noticed",
            (attempts("200", [(at + 5, rate)]), attempts("529", [(lead, 0), (at + 5 - lead, failing)])),
            exprs=(_firing(f, "UpstreamDegraded", lead, 0), _firing(f, "UpstreamDegraded", at, 1, conv.SEVERITY_TICKET)),
        )
    ]
    if a.min_events > 5 and hold >= BLIP + _minutes(UPSTREAM_SHORT):  # a blip shorter than the hold and the short window
        cases.append(TestCase(
            "failures: a few retried attempts and a short blip are no degraded upstream",
            (attempts("200", [(90, rate)]), attempts("529", [(30, 1), (BLIP, rate), (60 - BLIP, 1)])),
            exprs=tuple(_firing(f, "UpstreamDegraded", m, 0) for m in (20, 35, 40, 50, 60, 89)),
        ))
    return cases


def build(f: ResolvedFailures) -> list[TestCase]:
    cases = _refused_cases(f)
    if f.client_errors is not None:
        cases += _surge_cases(f)
    if f.upstream is not None:
        cases += _upstream_cases(f)
    return cases
