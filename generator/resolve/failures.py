"""The failure-mode alerts of a service: credentials and model ids refused, surges of excluded client errors, an
upstream that fails attempts the SDK's retries hide. Each reads the raw request or attempt counter, not the SLI, so
an SLO's exclusions never blind it."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from generator.profiles import PROMETHEUS_CLIENT, Outcome, Profile
from generator.promql import Matcher, Selector
from generator.resolve.common import Gate, percent_share, service_labels, signal_selector
from generator.resolve.sli import exclusions
from generator.spec.failure_alerts import Credentials, ModelNotFound
from generator.spec.models import Spec

CREDENTIALS, NOT_FOUND = ("401", "403"), ("404",)
ALWAYS_WATCHED = ("400", "413")  # the end user's own bad input: excluded by default, watched always
# Statuses of attempts that say the provider, not the caller, failed: what retries are for.
UPSTREAM_FAILURES = ("5..", "timeout", "network")


@dataclass(frozen=True)
class ShareAlert:
    """`bad` over `total` above `share` for `hold`, with at least `min_events` bad events in the window."""

    bad: Selector
    total: Selector
    share: Fraction
    hold: str
    min_events: int
    by: str | None = None  # a label the alert is computed per value of (the model, for 404s)


@dataclass(frozen=True)
class SurgeAlert:
    """Excluded answers: a warning against their own baseline, a page when most requests get one."""

    watched: tuple[str, ...]
    alert: ShareAlert  # the warning: floor and hold
    above_baseline: Fraction
    critical: Fraction
    critical_for: str


@dataclass(frozen=True)
class ResolvedFailures:
    service: str
    labels: dict[str, str]
    runbook_base: str
    credentials: ShareAlert | None
    not_found: ShareAlert | None
    client_errors: SurgeAlert | None
    upstream: ShareAlert | None
    requests: Selector  # every request, whatever the SLOs exclude
    status_label: str
    outcome: Outcome  # how the exporter spells each status
    attempt_status: str = ""  # the attempts counter's status label

    @property
    def enabled(self) -> bool:
        return any(a is not None for a in (self.credentials, self.not_found, self.client_errors, self.upstream))


def _warn_exclusions(spec: Spec, gate: Gate) -> None:
    for i, slo in enumerate(spec.slos):
        avail = slo.sli.availability
        blind = sorted(set(avail.exclude_status) & {*CREDENTIALS, *NOT_FOUND}) if avail is not None else []
        if blind:
            gate.warnings.append(
                f"slos[{i}] ({slo.name}) excludes {', '.join(blind)} from its budget: a rejected key (401, 403) or a retired model "
                f"id (404) is the service's own configuration failing, and its users get nothing; it burns no budget. The "
                "CredentialsRejected and ModelNotFound alerts still page (alerts.credentials, alerts.model_not_found); "
                f"remove {', '.join(blind)} from exclude_status to count them against the SLO"
            )


def resolve_failures(spec: Spec, profile: Profile, gate: Gate) -> ResolvedFailures:
    a = spec.alerts
    _warn_exclusions(spec, gate)
    status = profile.label("requests", "status")
    requests = signal_selector(spec, profile, "requests")
    codes = status is not None and profile.outcome.codes
    wanted = [n for n in ("credentials", "model_not_found", "client_errors") if getattr(a, n).enabled]
    if wanted and not codes:
        gate.warnings.append(
            f"profile {profile.name} records no HTTP status codes ({profile.outcome.doc}), so rejected keys (401, 403), unknown "
            "models (404) and surges of client errors (400, 413) cannot be told apart: the "
            f"{', '.join(wanted)} alerts are left out; export the status code (claude_api_requests_total's status_code in the "
            "prometheus-client profile) to cover them"
        )

    def answered(statuses: tuple[str, ...]) -> Selector:
        return requests.plus(Matcher(status or "", "=~", exclusions(profile, list(statuses))))

    def share_of(statuses: tuple[str, ...], part: Credentials | ModelNotFound, by: str | None = None) -> ShareAlert | None:
        if not codes or not part.enabled:
            return None
        return ShareAlert(answered(statuses), requests, percent_share(part.ratio), part.hold, part.min_events, by)

    excluded = sorted({s for slo in spec.slos if slo.sli.availability is not None for s in slo.sli.availability.exclude_status})
    watched = tuple(sorted(set(excluded) | set(ALWAYS_WATCHED)))
    ce = a.client_errors
    surge = answered(watched) if codes and ce.enabled else None
    return ResolvedFailures(
        service=spec.service,
        labels=service_labels(spec),
        runbook_base=spec.links.runbooks,
        credentials=share_of(CREDENTIALS, a.credentials),
        not_found=share_of(NOT_FOUND, a.model_not_found, profile.label("requests", "model")),
        client_errors=(
            SurgeAlert(watched, ShareAlert(surge, requests, percent_share(ce.floor), ce.hold, ce.min_events),
                       percent_share(ce.above_baseline), percent_share(ce.critical), ce.critical_for)
            if surge is not None
            else None
        ),
        upstream=_upstream(spec, profile, gate),
        requests=requests,
        status_label=status or "",
        outcome=profile.outcome,
        attempt_status=(profile.label("attempts", "status") or "") if profile.has("attempts") else "",
    )


def _upstream(spec: Spec, profile: Profile, gate: Gate) -> ShareAlert | None:
    part = spec.alerts.upstream_degraded
    if not part.enabled:
        return None
    status = profile.label("attempts", "status") if profile.has("attempts") else None
    if status is None:
        how = (
            f"with slogen.instrument(meter=...), add `attempts: {{}}` under metrics.signals to read its {profile.optional['attempts'].metric}"
            if "attempts" in profile.optional
            else f"slogen.instrument exports {PROMETHEUS_CLIENT.signals['attempts'].metric}, or name such a counter under metrics.signals.attempts.metric"
        )
        gate.warnings.append(
            f"profile {profile.name} has no counter of HTTP attempts, so an upstream that fails attempts the SDK's retries "
            f"hide cannot be seen: the upstream_degraded alert is left out; {how} (set alerts.upstream_degraded.enabled: false "
            "to silence this)"
        )
        return None
    attempts = signal_selector(spec, profile, "attempts")
    # An attempt's status is its HTTP code, or `timeout` / `network` (as slogen.instrument writes it, in every profile).
    failing = "|".join(UPSTREAM_FAILURES)
    return ShareAlert(attempts.plus(Matcher(status, "=~", failing)), attempts, percent_share(part.ratio), part.hold, part.min_events)

