"""Metric profiles: where each signal lives for one kind of exporter, and how it tells a failure apart.

Only the first layer of recording rules reads these names; everything after it reads
slogen's normalised recordings, so a new exporter is a new profile entry, not a new compiler.
A profile is data: metric names, label names, how values are spelled, and what to tell a user
whose exporter lacks a signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["counter", "histogram", "gauge"]

# Canonical label names a profile maps to the exporter's; None where the exporter has no such label.
CANONICAL_LABELS = ("model", "feature", "status", "token_type", "stop_reason", "dimension")


@dataclass(frozen=True)
class Signal:
    metric: str  # for histograms the base name, without _bucket/_count/_sum
    kind: Kind
    buckets: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()  # the same series under another name (unit suffixes differ between libraries)
    labels: dict[str, str | None] = field(default_factory=dict)  # where this signal's label names differ from the profile's
    values: dict[str, str] = field(default_factory=dict)  # canonical value -> the exporter's (finish reason `length` for max_tokens)
    parts: tuple[tuple[str, str], ...] = ()  # (token type, metric): one counter per type instead of a label
    instrument: str = ""  # the OpenTelemetry instrument it comes from, for the View that changes its buckets
    input_includes_cache: bool = False  # input tokens count cache reads and writes too (OpenAI-style prompt_tokens)

    @property
    def bucket_metric(self) -> str:
        return f"{self.metric}_bucket"

    @property
    def count_metric(self) -> str:
        return f"{self.metric}_count"

    @property
    def sum_metric(self) -> str:
        return f"{self.metric}_sum"

    @property
    def exported(self) -> tuple[str, ...]:
        """Every series name this signal may appear as."""
        bases = (self.metric, *self.aliases, *(m for _, m in self.parts))
        if self.kind != "histogram":
            return bases
        return tuple(f"{b}{s}" for b in bases for s in ("_bucket", "_count", "_sum"))


@dataclass(frozen=True)
class Outcome:
    """How the request counter says what happened: one label, spelled the exporter's way.

    `spell` turns an HTTP status (or `timeout`) into the value the exporter writes, so the same
    `exclude_status: ["400", ...]` works in every dialect; an empty value means the label is absent.
    """

    good: str  # default `good_status`: regular expression of success values
    spellings: dict[str, str] = field(default_factory=dict)  # status -> value; missing: written as is
    fallback: str | None = None  # value of every status not in spellings (None: the status itself)
    server_errors: str | None = "5.."  # regular expression of 5xx and 529; None: the exporter cannot tell them apart
    throttled: str | None = "429"
    codes: bool = True  # False: one value for every failure, so no status can be excluded
    doc: str = "HTTP status codes as text, or `timeout` / `network`"
    classes: tuple[tuple[str, str, str], ...] = (  # (name, op, value): the outcome classes a dashboard stacks
        ("2xx", "=~", "2.."),
        ("4xx", "=~", "4[0-9][0-8]|4[013-9]9"),  # client errors but 429
        ("429", "=", "429"),
        ("5xx/529", "=~", "5.."),
        ("timeouts", "!~", "[0-9]+"),  # timeout, network, connection_error, stream_error
    )

    def spell(self, status: str) -> str:
        if status in self.spellings:
            return self.spellings[status]
        return self.fallback if self.fallback is not None else status


@dataclass(frozen=True)
class Profile:
    name: str
    signals: dict[str, Signal]
    labels: dict[str, str | None]  # canonical label -> the exporter's label name
    outcome: Outcome = field(default_factory=lambda: Outcome("2.."))
    missing: dict[str, str] = field(default_factory=dict)  # signal it lacks -> what to export instead
    bucket_fix: str = "declare your buckets under metrics.signals.{signal}.buckets"  # how to add a boundary, in the exporter's terms
    needs: str = ""  # what the bundle needs to load, when more than Prometheus 2
    provider_labels: tuple[str, ...] = ()  # labels naming the LLM provider, for `metrics.provider`
    # Signals only some of the profile's exporters send (slogen.instrument's attempts, beside OpenLLMetry's metrics):
    # read when the spec names them under metrics.signals, with the labels they carry.
    optional: dict[str, Signal] = field(default_factory=dict)

    def label(self, signal: str, canonical: str) -> str | None:
        sig = self.signals.get(signal)
        if sig is not None and canonical in sig.labels:
            return sig.labels[canonical]
        return self.labels.get(canonical)

    def has(self, signal: str) -> bool:
        return signal in self.signals

    def outcome_labels(self, status: str) -> dict[str, str]:
        """The request counter's status label as it reads for `status` (`{"error_type": "RateLimitError"}` for 429)."""
        label = self.label("requests", "status")
        return {label: self.outcome.spell(status)} if label else {}


PROMETHEUS_CLIENT = Profile(
    name="prometheus-client",
    signals={
        "requests": Signal("claude_api_requests_total", "counter"),
        # Every HTTP attempt, retries included (slogen.instrument): what the upstream-degraded alert reads.
        "attempts": Signal("claude_api_attempts_total", "counter"),
        "ttft": Signal("claude_api_ttft_seconds", "histogram", (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60)),
        "duration": Signal("claude_api_request_duration_seconds", "histogram", (0.5, 1, 2, 5, 10, 15, 30, 60, 120)),
        "tokens": Signal("claude_api_tokens_total", "counter"),
        "cost": Signal("claude_api_cost_usd_total", "counter"),
        "responses": Signal("claude_api_responses_total", "counter"),
        # Read from one client's response headers: per model and dimension, never per feature.
        "ratelimit_limit": Signal("claude_api_ratelimit_limit", "gauge", labels={"feature": None}),
        "ratelimit_remaining": Signal("claude_api_ratelimit_remaining", "gauge", labels={"feature": None}),
    },
    labels={"model": "model", "feature": "feature", "status": "status_code", "token_type": "type", "stop_reason": "stop_reason", "dimension": "dimension"},
)

# The simplest published Claude instrumentation: a status of ok/error, one latency histogram, no TTFT, no limit gauge.
CLAUDE_BASIC = Profile(
    name="claude-basic",
    signals={
        "requests": Signal("claude_requests_total", "counter"),
        "duration": Signal("claude_latency_seconds", "histogram", (0.5, 1, 2, 5, 10, 30, 60)),
        "tokens": Signal("claude_tokens_total", "counter"),
        "cost": Signal("claude_cost_usd_total", "counter"),
        "responses": Signal("claude_requests_total", "counter"),  # the request counter carries stop_reason
        "ratelimit_remaining": Signal("claude_rate_limit_remaining", "gauge"),
    },
    labels={"model": "model", "feature": None, "status": "status", "token_type": "direction", "stop_reason": "stop_reason", "dimension": "dimension"},
    outcome=Outcome(
        good="ok", spellings={"200": "ok"}, fallback="error", server_errors=None, throttled=None, codes=False,
        doc="`ok` or `error`: no status codes, so `exclude_status` cannot be used",
        classes=(("ok", "=", "ok"), ("error", "!=", "ok")),
    ),
    missing={
        "ttft": "a histogram of the time to the first streamed token (claude_api_ttft_seconds in the prometheus-client profile)",
        "ratelimit_limit": "a gauge of the anthropic-ratelimit-*-limit headers next to claude_rate_limit_remaining",
    },
)

# Anthropic/OpenAI SDK exception classes for the statuses an SLO excludes or an alert reads (otel-genai.md 6.5).
SDK_ERROR_CLASSES = {
    "200": "",
    "400": "BadRequestError",
    "401": "AuthenticationError",
    "403": "PermissionDeniedError",
    "404": "NotFoundError",
    "409": "ConflictError",
    "413": "RequestTooLargeError",
    "422": "UnprocessableEntityError",
    "424": "FailedDependencyError",
    "429": "RateLimitError",
    "500": "InternalServerError",
    "503": "ServiceUnavailableError",
    "529": "OverloadedError",
    "timeout": "APITimeoutError",
    "network": "APIConnectionError",
}
SERVER_ERROR_CLASSES = ("InternalServerError", "OverloadedError", "ServiceUnavailableError")

# Semantic-convention bucket advice for gen_ai.client.operation.duration and time_to_first_chunk.
OTEL_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)

OtelNaming = Literal["python", "collector", "collector-no-suffixes", "utf8"]
# How each export path writes the OTel names (otel-genai.md 2.1-2.3): (seconds suffix, token suffix options, counter suffix, dotted).
_NAMING = {
    "python": ("_seconds", ("_token", ""), "_total", False),
    "collector": ("_seconds", ("",), "_total", False),
    "collector-no-suffixes": ("", ("",), "", False),
    "utf8": ("_seconds", ("_token", ""), "_total", True),
}


def _otel_error_pattern(classes: tuple[str, ...], codes: tuple[str, ...]) -> str:
    """error.type as a class name, a fully qualified one (`anthropic.RateLimitError`) or the provider's code."""
    return f"(.+\\.)?({'|'.join(classes)})|{'|'.join(codes)}"


def otel_genai(naming: OtelNaming = "python") -> Profile:
    seconds, token_suffixes, total, dotted = _NAMING[naming]

    def name(otel: str) -> str:
        return otel if dotted else otel.replace(".", "_")

    def lab(otel: str) -> str:
        return otel if dotted else otel.replace(".", "_")

    tokens = [name("gen_ai.client.token.usage") + t for t in token_suffixes]
    return Profile(
        name="otel-genai",
        signals={
            "requests": Signal(name("gen_ai.client.operation.duration") + seconds + "_count", "counter"),
            "ttft": Signal(
                name("gen_ai.client.operation.time_to_first_chunk") + seconds, "histogram", OTEL_DURATION_BUCKETS,
                instrument="gen_ai.client.operation.time_to_first_chunk",
            ),
            "duration": Signal(
                name("gen_ai.client.operation.duration") + seconds, "histogram", OTEL_DURATION_BUCKETS, instrument="gen_ai.client.operation.duration"
            ),
            # A histogram of tokens per operation: its _sum counts tokens.
            "tokens": Signal(tokens[0] + "_sum", "counter", aliases=tuple(t + "_sum" for t in tokens[1:])),
            "cost": Signal(name("gen_ai.usage.cost") + ("" if naming == "collector-no-suffixes" else "_USD") + "_sum", "counter"),
            "responses": Signal(
                name("gen_ai.client.generation.choices") + ("" if naming == "collector-no-suffixes" else "_choice") + total, "counter",
                values={"max_tokens": "length", "end_turn": "stop"},
            ),
        },
        labels={
            "model": lab("gen_ai.response.model"),
            "feature": None,
            "status": lab("error.type"),
            "token_type": lab("gen_ai.token.type"),
            "stop_reason": lab("gen_ai.response.finish_reason"),
            "dimension": None,
        },
        outcome=Outcome(
            good="",
            spellings=SDK_ERROR_CLASSES,
            server_errors=_otel_error_pattern(SERVER_ERROR_CLASSES, ("5..",)),
            throttled=_otel_error_pattern(("RateLimitError",), ("429",)),
            classes=(
                ("ok", "=", ""),
                ("4xx", "=~", _otel_error_pattern(tuple(SDK_ERROR_CLASSES[c] for c in ("400", "401", "403", "404", "409", "413", "422")), ("4[0-9][0-8]",))),
                ("429", "=~", _otel_error_pattern(("RateLimitError",), ("429",))),
                ("5xx/529", "=~", _otel_error_pattern(SERVER_ERROR_CLASSES, ("5..",))),
                ("timeouts", "=~", _otel_error_pattern(("APITimeoutError", "APIConnectionError"), ("timeout",))),
            ),
            doc="`error.type`: empty on success, else the SDK's exception class (RateLimitError, OverloadedError, ...); "
            "`exclude_status` takes HTTP codes (400 is matched as BadRequestError or 400) or class names",
        ),
        missing={
            "cache_reads": "GenAI metrics fold cache reads into input tokens; the split is a span attribute only",
            "ratelimit_limit": "the anthropic-ratelimit-*-limit headers as a gauge (no OpenTelemetry GenAI metric carries them)",
            "ratelimit_remaining": "the anthropic-ratelimit-*-remaining headers as a gauge (no OpenTelemetry GenAI metric carries them)",
        },
        bucket_fix=(
            "add an OpenTelemetry View with that boundary, e.g. View(instrument_name=\"{instrument}\", "
            "aggregation=ExplicitBucketHistogramAggregation([..., {threshold}, ...])), and list the same boundaries under "
            "metrics.signals.{signal}.buckets"
        ),
        needs="Prometheus 3 (UTF-8 metric and label names)" if dotted else "",
        provider_labels=(lab("gen_ai.provider.name"), lab("gen_ai.system")),
        optional={
            # slogen.instrument(meter=...)'s counter of HTTP attempts; the GenAI conventions have none.
            "attempts": Signal(
                name("slogen.client.attempts") + total, "counter",
                labels={"model": lab("gen_ai.request.model"), "status": lab("http.response.status_code")},
            ),
        },
    )


# The LiteLLM proxy with `callbacks: [prometheus]` (>= 1.80, litellm-scale.md part 1).
# The boundaries the real proxy exports on its latency and TTFT histograms (tests/emitters/litellm/metrics.txt).
LITELLM_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600)
LITELLM = Profile(
    name="litellm",
    signals={
        # Failures are counted here too, with their status code, and in the failed counter: read one of them only.
        "requests": Signal("litellm_proxy_total_requests_metric_total", "counter", labels={"model": "requested_model"}),
        "ttft": Signal("litellm_llm_api_time_to_first_token_metric", "histogram", LITELLM_LATENCY_BUCKETS),
        "duration": Signal("litellm_request_total_latency_metric", "histogram", LITELLM_LATENCY_BUCKETS),
        "tokens": Signal(
            "litellm_input_tokens_metric_total", "counter",
            parts=(
                ("input", "litellm_input_tokens_metric_total"),
                ("output", "litellm_output_tokens_metric_total"),
                ("cache_read", "litellm_input_cached_tokens_metric_total"),
                ("cache_write", "litellm_input_cache_creation_tokens_metric_total"),
            ),
            # Measured on LiteLLM 1.108 in front of Anthropic: input = fresh + cache reads + cache writes
            # (265,201 = 59,377 + 82,944 + 122,880), so slogen takes both cache counters out of it before pricing.
            input_includes_cache=True,
        ),
        "cost": Signal("litellm_spend_metric_total", "counter"),
    },
    labels={"model": "model", "feature": None, "status": "status_code", "token_type": None, "stop_reason": None, "dimension": None},
    missing={
        "responses": "a counter of responses by stop reason (LiteLLM does not export one)",
        "ratelimit_limit": "limit and remaining gauges per model and dimension (LiteLLM exports litellm_remaining_requests_metric "
        "and litellm_remaining_tokens_metric, but not the limit they count down from)",
        "ratelimit_remaining": "limit and remaining gauges per model and dimension (LiteLLM exports litellm_remaining_requests_metric "
        "and litellm_remaining_tokens_metric, but not the limit they count down from)",
    },
    bucket_fix="add the boundary to litellm_settings.prometheus_latency_buckets in the proxy's config and list the same "
    "boundaries under metrics.signals.{signal}.buckets",
)

PROFILE_NAMES = ("prometheus-client", "claude-basic", "otel-genai", "litellm")


def profile(name: str, naming: OtelNaming = "python") -> Profile:
    if name == "otel-genai":
        return otel_genai(naming)
    return {p.name: p for p in (PROMETHEUS_CLIENT, CLAUDE_BASIC, LITELLM)}[name]


def with_overrides(profile: Profile, signals: dict[str, dict], labels: dict[str, str | None]) -> Profile:
    """The profile with the spec's overrides applied (pure; the built-in profile is never changed)."""
    merged = dict(profile.signals)
    for name, override in signals.items():
        base = merged.get(name) or profile.optional.get(name)
        if base is None:
            if not override.get("metric"):
                continue  # buckets for a signal the profile lacks: resolve says so where the signal is used
            kind = "histogram" if name in ("ttft", "duration") else "gauge" if name.startswith("ratelimit") else "counter"
            base = Signal(override["metric"], kind)
        merged[name] = replace(
            base,
            metric=override.get("metric") or base.metric,
            aliases=() if override.get("metric") else base.aliases,
            parts=() if override.get("metric") else base.parts,
            buckets=tuple(sorted(override["buckets"])) if override.get("buckets") else base.buckets,
        )
    new_labels = {**profile.labels, **{k: v for k, v in labels.items() if v}}
    missing = {k: v for k, v in profile.missing.items() if k not in merged}
    return replace(profile, signals=merged, labels=new_labels, missing=missing)
