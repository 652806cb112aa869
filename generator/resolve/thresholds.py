"""Fixed-threshold operational alerts of a service (`alerts:`): which are on, their series and their numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from generator import conventions as conv
from generator import profiles as prof
from generator.durations import parse_seconds
from generator.profiles import Profile
from generator.promql import Matcher, Selector, Source
from generator.resolve.common import labels_by, percent_share, Gate, service_labels, signal_selector, token_source
from generator.resolve.sli import RatioSLI
from generator.resolve.slos import ResolvedSLO
from generator.spec.models import Spec


@dataclass(frozen=True)
class ResolvedThresholds:
    """Fixed-threshold operational alerts; a part is None when the spec switched it off."""

    service: str
    labels: dict[str, str]
    runbook_base: str
    ttft_bucket: Selector | None
    ttft_lines: tuple[tuple[str, float, str], ...]  # (severity, seconds, for)
    burst: tuple[Selector, Selector, Fraction, str] | None  # bad, total, share, for
    responses: Selector | None
    truncated: Selector | None
    truncation_share: Fraction
    server_errors: tuple[Selector, Selector, Fraction, str] | None  # 5xx, total, share, for
    tokens: Source
    by: dict[str, str | None]  # canonical label -> the exporter's label name (None: it has none)
    outcome: prof.Outcome
    status_label: str
    stop_values: dict[str, str]  # canonical stop reason -> the exporter's
    cache: tuple[Fraction, Fraction] | None  # steady share, collapsed share
    input_includes_cache: bool  # input tokens already count cache reads and writes (LiteLLM)
    counts_cache_reads: bool  # the tokens tell cache reads apart (the cache share means something)
    duration_sum: Selector | None  # seconds spent in requests, for output speed
    speed_drop: Fraction
    requests: Selector  # every request, whatever its outcome: output speed is not judged while they fail
    requests_model: str | None  # the request counter's model label

    @property
    def prompt(self) -> Source:
        """Every prompt token once: input and the cache kinds, or where the input counter already counts the
        cache (LiteLLM), that counter as it is."""
        if self.input_includes_cache:
            return replace(self.tokens.only("=", "input"), within=())
        return self.tokens.only("!=", "output")


def resolve_thresholds(spec: Spec, profile: Profile, slos: list[ResolvedSLO], gate: Gate) -> ResolvedThresholds:
    a = spec.alerts
    outcome = profile.outcome
    status = profile.label("requests", "status") or ""
    ratio = next((s.sli for s in slos if isinstance(s.sli, RatioSLI)), None)
    if ratio is None:
        total = signal_selector(spec, profile, "requests")
        ratio = RatioSLI(total.plus(Matcher(status, "!~", outcome.good)), total, "")
    requests = signal_selector(spec, profile, "requests")

    def on(name: str, needs: list[str]) -> bool:
        part = getattr(a, name)
        return part.enabled and gate.allows(f"the {name} alert", needs, "enabled" in part.model_fields_set, ("alerts", name, "enabled"),
                                            f"set alerts.{name}.enabled: false to silence this")

    ttft = on("ttft_p95", ["ttft"])
    truncations = on("truncations", ["responses"]) and profile.label("responses", "stop_reason") is not None
    server = a.server_errors.enabled and outcome.server_errors is not None
    if a.server_errors.enabled and outcome.server_errors is None:
        gate.warnings.append(f"profile {profile.name} does not tell server errors apart ({outcome.doc}); the server_errors alert is left out")
    has_tokens = profile.has("tokens")
    tokens = token_source(spec, profile) if has_tokens else Source((), conv.LABEL_TOKEN_TYPE)
    counts_cache = has_tokens and not tokens.only("=", "cache_read").empty and "cache_reads" not in profile.missing
    cache = on("cache_reads", ["tokens"]) and counts_cache
    if a.cache_reads.enabled and has_tokens and not counts_cache:
        why = profile.missing.get("cache_reads", "its tokens have no cache_read type")
        gate.warnings.append(
            f"profile {profile.name} cannot tell cache-read tokens apart ({why}); the cache_reads alert is left out; "
            "set alerts.cache_reads.enabled: false to silence this"
        )
    speed = on("output_speed", ["tokens", "duration"])
    stop = profile.label("responses", "stop_reason") or ""
    stop_values = profile.signals["responses"].values if profile.has("responses") else {}
    responses = signal_selector(spec, profile, "responses") if truncations else None
    return ResolvedThresholds(
        service=spec.service,
        labels=service_labels(spec),
        runbook_base=spec.links.runbooks,
        ttft_bucket=signal_selector(spec, profile, "ttft", "_bucket") if ttft else None,
        ttft_lines=(
            (conv.SEVERITY_TICKET, parse_seconds(a.ttft_p95.warning), a.ttft_p95.warning_for),
            (conv.SEVERITY_PAGE, parse_seconds(a.ttft_p95.critical), a.ttft_p95.critical_for),
        ),
        burst=(ratio.bad, ratio.total, Fraction(repr(a.error_burst.ratio)) / 100, a.error_burst.hold) if a.error_burst.enabled else None,
        responses=responses,
        truncated=responses.plus(Matcher(stop, "=", stop_values.get("max_tokens", "max_tokens"))) if responses is not None else None,
        truncation_share=Fraction(repr(a.truncations.ratio)) / 100,
        server_errors=(
            requests.plus(Matcher(status, "=~", outcome.server_errors or "")), requests, percent_share(a.server_errors.ratio), a.server_errors.hold
        )
        if server
        else None,
        tokens=tokens,
        by=labels_by(profile, "tokens", conv.LABEL_MODEL, conv.LABEL_FEATURE, conv.LABEL_TOKEN_TYPE),
        outcome=outcome,
        status_label=status,
        stop_values=dict(stop_values),
        cache=(percent_share(a.cache_reads.steady), percent_share(a.cache_reads.collapsed)) if cache else None,
        counts_cache_reads=counts_cache,
        input_includes_cache=has_tokens and profile.signals["tokens"].input_includes_cache,
        duration_sum=signal_selector(spec, profile, "duration", "_sum") if speed else None,
        speed_drop=percent_share(a.output_speed.drop),
        requests=requests,
        requests_model=profile.label("requests", "model"),
    )
