"""promtool tests for the failure-mode alerts, at 100 requests a minute: an expired key, a retired model id on one
model, a storm of prompts over the context window, an overloaded upstream the retries hide; and the quiet cases
beside them (a stray 401 at night, a daily 3% of prompts too long, a few retried attempts)."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.compile.checks import counter, firing_count
from generator.ir import ExprCheck, Series, TestCase
from generator.resolve.failures import ResolvedFailures

RATE = 100  # requests a minute
MAIN, SIDE = "claude-sonnet-4-6", "claude-haiku-4-5"


def _firing(f: ResolvedFailures, what: str, at: int, count: int, severity: str | None = None, by: dict[str, str] | None = None) -> ExprCheck:
    match = {conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_ALERTNAME: conv.failure_alert(f.service, what)}
    return firing_count({**match, **({conv.LABEL_SEVERITY: severity} if severity else {})}, at, count, by=by if count else None)


def _requests(f: ResolvedFailures, status: str, segments: list[tuple[int, float]], **labels: str) -> Series:
    return Series(q.series(f.requests, {f.status_label: f.outcome.spell(status), **labels}), counter(segments))


def _refused_cases(f: ResolvedFailures) -> list[TestCase]:
    cases = []
    if f.credentials is not None:
        cases += [
            TestCase(
                "failures: every request answered 401 (an expired key) pages within 5 minutes",
                (_requests(f, "200", [(60, RATE), (30, 0)]), _requests(f, "401", [(60, 0), (30, RATE)])),
                exprs=(_firing(f, "CredentialsRejected", 60, 0), _firing(f, "CredentialsRejected", 65, 1, conv.SEVERITY_PAGE)),
            ),
            TestCase(
                "failures: a stray 401 at 2 requests a minute pages no one",
                (_requests(f, "200", [(60, 2)]), _requests(f, "403", [(30, 0), (1, 1), (29, 0)])),
                exprs=tuple(_firing(f, "CredentialsRejected", m, 0) for m in (30, 31, 32, 35, 40)),
            ),
        ]
    if f.not_found is not None and f.not_found.by is not None:
        side = {f.not_found.by: SIDE}
        cases.append(
            TestCase(
                "failures: a retired model id on a model with 5% of traffic pages within 5 minutes, for that model",
                (
                    _requests(f, "200", [(90, RATE * 0.95)], **{f.not_found.by: MAIN}),
                    _requests(f, "200", [(60, RATE * 0.05), (30, 0)], **side),
                    _requests(f, "404", [(60, 0), (30, RATE * 0.05)], **side),
                ),
                exprs=(_firing(f, "ModelNotFound", 60, 0), _firing(f, "ModelNotFound", 65, 1, conv.SEVERITY_PAGE, by={conv.LABEL_MODEL: SIDE})),
            )
        )
    return cases


def _surge_cases(f: ResolvedFailures) -> list[TestCase]:
    assert f.client_errors is not None
    daily = RATE * 0.03  # every day, 3% of prompts are too long
    return [
        TestCase(
            "failures: 3% of requests answered 400 all day long raises nothing",
            (_requests(f, "200", [(240, RATE - daily)]), _requests(f, "400", [(240, daily)])),
            exprs=tuple(_firing(f, "ClientErrorSurge", m, 0) for m in (30, 60, 120, 239)),
        ),
        TestCase(
            "failures: a storm of 400s (prompts over the context window after a deploy) pages within 10 minutes",
            (_requests(f, "200", [(120, RATE - daily), (30, 0)]), _requests(f, "400", [(120, daily), (30, RATE)])),
            exprs=(_firing(f, "ClientErrorSurge", 120, 0), _firing(f, "ClientErrorSurge", 130, 1, conv.SEVERITY_PAGE)),
        ),
        TestCase(
            "failures: a third of requests answered 400 warns, against a 3% baseline, and pages no one",
            (_requests(f, "200", [(180, RATE - daily), (60, RATE * 0.65)]), _requests(f, "400", [(180, daily), (60, RATE * 0.35)])),
            exprs=(
                _firing(f, "ClientErrorSurge", 180, 0),
                _firing(f, "ClientErrorSurge", 215, 1, conv.SEVERITY_TICKET),
                _firing(f, "ClientErrorSurge", 235, 0, conv.SEVERITY_PAGE),
            ),
        ),
    ]


def _upstream_cases(f: ResolvedFailures) -> list[TestCase]:
    a = f.upstream
    assert a is not None

    def attempts(status: str, segments: list[tuple[int, float]]) -> Series:
        return Series(q.series(a.total, {f.attempt_status: f.outcome.spell(status)}), counter(segments))

    failing = RATE * float(a.share) * 2  # every call answered, twice the line of first attempts overloaded
    return [
        TestCase(
            "failures: an overloaded upstream whose failures the retries hide is noticed",
            (attempts("200", [(90, RATE)]), attempts("529", [(30, 0), (60, failing)])),
            exprs=(_firing(f, "UpstreamDegraded", 30, 0), _firing(f, "UpstreamDegraded", 60, 1, conv.SEVERITY_TICKET)),
        ),
        TestCase(
            "failures: a few retried attempts and a short blip are no degraded upstream",
            (attempts("200", [(90, RATE)]), attempts("529", [(30, 1), (5, RATE), (55, 1)])),
            exprs=tuple(_firing(f, "UpstreamDegraded", m, 0) for m in (20, 35, 40, 50, 60, 89)),
        ),
    ]


def build(f: ResolvedFailures) -> list[TestCase]:
    cases = _refused_cases(f)
    if f.client_errors is not None:
        cases += _surge_cases(f)
    if f.upstream is not None:
        cases += _upstream_cases(f)
    return cases
