"""The failure modes a burn rate misses: a rejected key, a retired model id, a surge of excluded client errors, an
upstream whose failures the SDK's retries hide. Each reads raw counters, so no SLO exclusion blinds it."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.compile.alert_rules import service_alert
from generator.durations import format_number
from generator.ir import AlertingRule, RecordingRule, RuleGroup
from generator.resolve.failures import ResolvedFailures, ShareAlert

SHORT, SURGE, SURGE_FAST, BASELINE = "2m", "15m", "5m", "1d"
UPSTREAM, UPSTREAM_SHORT = "15m", "5m"

TEXT = {
    "CredentialsRejected": "The API refuses most requests with 401 or 403: the service's API key expired, was revoked or "
    "rotated without the service, or the workspace lost access. Every user gets an error. Check the key in the secret "
    "store against the provider's console, and the last deploy or rotation.",
    "ModelNotFound": "The API answers 404 for a model: the model id was retired, renamed or misspelled in a deploy. Every "
    "call to that model fails. Move the feature to a current model id (or its dated alias) and check the provider's "
    "deprecation notices.",
    "ClientErrorSurge": "Many more requests than usual get an answer the SLO does not count (400, 413, or another excluded "
    "status): prompts grew past the context window, a deploy broke the request shape, or a client sends junk. Users get "
    "errors even though no budget burns. Compare the error messages in the logs (error_type, error_message) by feature.",
    "UpstreamDegraded": "A large share of HTTP attempts fail with 5xx, 529, timeouts or network errors, but the SDK's "
    "retries still turn most into answers: the provider is overloaded or degraded, and users wait through the retries. "
    "If it goes on, the SLO alerts follow. Check the provider's status page, shed load, or fail over.",
}


def _per(by: str | None, func: str, selector: q.Selector, window: str) -> str:
    """`sum(func(...))`, or per value of the exporter's label `by`, copied to the canonical `model`."""
    if not by:
        return f"sum({func}({selector}[{window}]))"
    return q.canonical(f"sum by ({q.by_clause(by)}) ({func}({selector}[{window}]))", {conv.LABEL_MODEL: by})


def _share(bad: q.Selector, total: q.Selector, window: str, by: str | None = None) -> str:
    """Share of `total` that is `bad`: 0, not nothing, while requests flow without such answers."""
    summed = lambda s: _per(by, "rate", s, window)  # noqa: E731
    return f"({summed(bad)} or 0 * {summed(total)}) / clamp_min({summed(total)}, 1e-12)"


def _enough(a: ShareAlert, window: str) -> str:
    """At least `min_events` bad events in the window: a stray failure at low traffic is no incident."""
    return f"{_per(a.by, 'increase', a.bad, window)} >= {a.min_events}"


def _own(metric: str, f: ResolvedFailures) -> q.Selector:
    return q.Selector(metric, (q.Matcher(conv.LABEL_SERVICE, "=", f.service),))


def _alert(f: ResolvedFailures, what: str, expr: str, severity: str, hold: str, summary: str, description: str) -> AlertingRule:
    labels = {**f.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: conv.CATEGORY_AVAILABILITY, conv.LABEL_SERVICE: f.service}
    return service_alert(conv.failure_alert(f.service, what), expr, labels, f.runbook_base, summary, description, hold)


def _pct(share: object) -> str:
    return format_number(float(share) * 100)  # type: ignore[arg-type]


def _refused(f: ResolvedFailures, a: ShareAlert, record: str, what: str, summary: str, statuses: str) -> list[RecordingRule | AlertingRule]:
    share = _own(record, f)
    join = f" on ({conv.LABEL_MODEL})" if a.by else " on ()"
    per = f" of {{{{ $labels.{conv.LABEL_MODEL} }}}}'s requests" if a.by else " of requests"
    return [
        RecordingRule(record, _share(a.bad, a.total, SHORT, a.by), {conv.LABEL_SERVICE: f.service}),
        _alert(
            f, what, f"{share} > {format_number(float(a.share))}\nand{join}\n{_enough(a, SHORT)}", conv.SEVERITY_PAGE, a.hold, summary,
            f"{{{{ $value | humanizePercentage }}}}{per} over the last {SHORT} were answered {statuses} (line: {_pct(a.share)}% for "
            f"{a.hold}, at least {a.min_events} answers). Every SLO exclusion aside, this is the service's own configuration failing.",
        ),
    ]


def _surge(f: ResolvedFailures) -> list[RecordingRule | AlertingRule]:
    s = f.client_errors
    assert s is not None
    a = s.alert
    slow, fast = _own(conv.client_error_share(SURGE), f), _own(conv.client_error_share(SURGE_FAST), f)
    statuses = ", ".join(s.watched)
    # The short window too, so the warning ends with the surge instead of reaching Slack after the page cleared.
    warn = (
        f"{slow} > {format_number(float(a.share))}\n"
        f"and\n{fast} > {format_number(float(a.share))}\n"
        f"and\n{slow} - quantile_over_time(0.5, {slow}[{BASELINE}]) > {format_number(float(s.above_baseline))}\n"
        f"and on ()\n{_enough(a, SURGE)}"
    )
    page = f"{fast} > {format_number(float(s.critical))}\nand on ()\n{_enough(a, SURGE_FAST)}"
    labels = {conv.LABEL_SERVICE: f.service}
    return [
        RecordingRule(conv.client_error_share(SURGE), _share(a.bad, a.total, SURGE), labels),
        RecordingRule(conv.client_error_share(SURGE_FAST), _share(a.bad, a.total, SURGE_FAST), labels),
        _alert(
            f, "ClientErrorSurge", warn, conv.SEVERITY_TICKET, a.hold, f"{f.service}: a surge of client errors ({statuses})",
            f"{{{{ $value | humanizePercentage }}}} of requests over the last {SURGE} were answered {statuses}, more than "
            f"{_pct(s.above_baseline)} points above the median of the last {BASELINE} and above {_pct(a.share)}% (over the last {SURGE_FAST} too). The SLO excludes "
            "them, so no budget burns, but users get errors.",
        ),
        _alert(
            f, "ClientErrorSurge", page, conv.SEVERITY_PAGE, s.critical_for, f"{f.service}: most requests answered {statuses}",
            f"{{{{ $value | humanizePercentage }}}} of requests over the last {SURGE_FAST} were answered {statuses} (line: "
            f"{_pct(s.critical)}% for {s.critical_for}): the service is broken for its users though the SLO excludes these answers.",
        ),
    ]


def _upstream(f: ResolvedFailures) -> list[RecordingRule | AlertingRule]:
    a = f.upstream
    assert a is not None
    labels = {conv.LABEL_SERVICE: f.service}
    line = format_number(float(a.share))
    expr = "\nand on ()\n".join([*(f"{_own(conv.failed_attempt_share(w), f)} > {line}" for w in (UPSTREAM, UPSTREAM_SHORT)), _enough(a, UPSTREAM)])
    return [
        *(RecordingRule(conv.failed_attempt_share(w), _share(a.bad, a.total, w), labels) for w in (UPSTREAM, UPSTREAM_SHORT)),
        _alert(
            f, "UpstreamDegraded", expr, conv.SEVERITY_TICKET, a.hold, f"{f.service}: the provider fails {_pct(a.share)}%+ of attempts",
            f"{{{{ $value | humanizePercentage }}}} of HTTP attempts over the last {UPSTREAM} failed with 5xx, 529, a timeout or a "
            f"network error (line: {_pct(a.share)}% over both {UPSTREAM} and {UPSTREAM_SHORT}, for {a.hold}); retries still answer "
            "most calls, so users wait longer before the budget burns.",
        ),
    ]


def build(f: ResolvedFailures) -> RuleGroup | None:
    rules: list[RecordingRule | AlertingRule] = []
    if f.credentials is not None:
        rules += _refused(f, f.credentials, conv.CREDENTIALS_SHARE_2M, "CredentialsRejected",
                          f"{f.service}: the API rejects the service's credentials", "401 or 403")
    if f.not_found is not None:
        rules += _refused(f, f.not_found, conv.NOT_FOUND_SHARE_2M, "ModelNotFound",
                          f"{f.service}: the API does not know model {{{{ $labels.{conv.LABEL_MODEL} }}}}" if f.not_found.by else
                          f"{f.service}: the API does not know the model", "404")
    if f.client_errors is not None:
        rules += _surge(f)
    if f.upstream is not None:
        rules += _upstream(f)
    return RuleGroup(conv.failure_group(f.service), tuple(rules)) if rules else None
