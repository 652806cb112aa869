"""The series a finished call adds: the prometheus-client profile's, or the OpenTelemetry GenAI ones.

The metric names, labels and buckets are the profile's (generator/profiles.py), so every threshold of the default
spec is a bucket and every rule of the bundle finds its series."""

from __future__ import annotations

import weakref
from collections import Counter as Tally
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from generator.profiles import PROMETHEUS_CLIENT as PROFILE
from slogen._context import Cap

DIMENSIONS = ("requests", "tokens", "input_tokens", "output_tokens")
MAX_FEATURES, MAX_MODELS = 100, 100


def _counter_name(metric: str) -> str:
    """prometheus_client appends `_total` to a counter's name itself."""
    return metric.removesuffix("_total")


class Metrics:
    """The profile's series in one registry (created once per registry: prometheus_client refuses twins), with the
    caps on its label values, which are the registry's too."""

    _made: weakref.WeakKeyDictionary[CollectorRegistry, Metrics] = weakref.WeakKeyDictionary()  # ids are reused once freed

    def __init__(self, registry: CollectorRegistry) -> None:
        s, labels = PROFILE.signals, PROFILE.labels
        mf = (labels["model"], labels["feature"])
        self.requests = Counter(_counter_name(s["requests"].metric), "Finished LLM API calls, by final outcome.", (*mf, labels["status"]), registry=registry)
        self.attempts = Counter(
            _counter_name(s["attempts"].metric), "HTTP attempts of LLM API calls (retries included), by status.", (*mf, labels["status"]), registry=registry
        )
        self.ttft = Histogram(s["ttft"].metric, "Time to the first streamed token.", mf, buckets=s["ttft"].buckets, registry=registry)
        self.duration = Histogram(s["duration"].metric, "Total call time.", mf, buckets=s["duration"].buckets, registry=registry)
        self.tokens = Counter(_counter_name(s["tokens"].metric), "Tokens by type.", (*mf, labels["token_type"]), registry=registry)
        self.cost = Counter(_counter_name(s["cost"].metric), "Spend in USD.", mf, registry=registry)
        self.responses = Counter(_counter_name(s["responses"].metric), "Responses by stop reason.", (*mf, labels["stop_reason"]), registry=registry)
        dims = (labels["model"], labels["dimension"])
        self.limit = Gauge(s["ratelimit_limit"].metric, "Rate limit, from the provider's headers.", dims, registry=registry)
        self.remaining = Gauge(s["ratelimit_remaining"].metric, "Rate limit left, from the provider's headers.", dims, registry=registry)
        self.failures = Counter("slogen_instrument_errors", "Failures inside slogen.instrument, swallowed so calls are never changed.", registry=registry)
        self.features, self.models = Cap("feature", MAX_FEATURES), Cap("model", MAX_MODELS)

    @classmethod
    def of(cls, registry: CollectorRegistry | None) -> Metrics:
        registry = registry or REGISTRY
        if registry not in cls._made:
            cls._made[registry] = cls(registry)
        return cls._made[registry]


# (header, dimension, limit|remaining): Anthropic's, then the OpenAI-compatible spelling; spelled out once, since
# this runs on every call.
_HEADERS = tuple(
    (f"anthropic-ratelimit-{d.replace('_', '-')}-{kind}", d, kind) for d in DIMENSIONS for kind in ("limit", "remaining")
) + tuple((f"x-ratelimit-{kind}-{d}", d, kind) for d in ("requests", "tokens") for kind in ("limit", "remaining"))


def ratelimits(headers: dict[str, str]) -> list[tuple[str, str, float]]:
    """(dimension, limit|remaining, value) from a response's rate-limit headers."""
    parsed = []
    for name, dim, kind in _HEADERS:
        value = headers.get(name)
        if value is not None:
            try:
                parsed.append((dim, kind, float(value)))
            except ValueError:
                continue
    return parsed


class PrometheusSink:
    """The prometheus-client profile's series."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._children: dict[tuple, Any] = {}

    def bounded(self, model: str, feature: str) -> tuple[str, str]:
        return self.metrics.models(model), self.metrics.features(feature)

    def _child(self, metric: Any, *labels: str) -> Any:  # prometheus_client's labels() costs microseconds each
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def failed(self) -> None:
        self.metrics.failures.inc()

    def record(self, call: Any, status: str, seconds: float, ttft: float | None, cost: float | None, trace: tuple[str, str] | None) -> None:
        m, child = self.metrics, self._child
        model, feature = self.bounded(call.model, call.feature)
        child(m.requests, model, feature, status).inc()
        attempts = call.attempts
        if len(attempts) == 1:  # nearly every call: no tally to build
            child(m.attempts, model, feature, attempts[0]).inc()
        else:
            for attempt, n in Tally(attempts).items():
                child(m.attempts, model, feature, attempt).inc(n)
        exemplar = {"trace_id": trace[0], "span_id": trace[1]} if trace is not None else None
        child(m.duration, model, feature).observe(seconds, exemplar)
        if ttft is not None:
            child(m.ttft, model, feature).observe(ttft, exemplar)
        if call.usage_known:
            for kind, n in call.tokens.items():
                child(m.tokens, model, feature, kind).inc(n)
        if cost:
            child(m.cost, model, feature).inc(cost)
        if call.stop_reason:
            child(m.responses, model, feature, call.stop_reason).inc()
        for dim, kind, value in ratelimits(call.headers):
            child(m.limit if kind == "limit" else m.remaining, model, dim).set(value)


class OtelSink:
    """OpenTelemetry GenAI semantic-convention metrics (what the otel-genai profile reads), on the caller's meter,
    and slogen's attempts counter beside them (the conventions have none)."""

    def __init__(self, meter: Any, provider: str) -> None:
        from generator.profiles import OTEL_DURATION_BUCKETS

        advice = {"explicit_bucket_boundaries_advisory": list(OTEL_DURATION_BUCKETS)}
        self.provider = provider
        self.duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s", description="GenAI operation duration.", **advice)
        self.ttfc = meter.create_histogram("gen_ai.client.operation.time_to_first_chunk", unit="s", description="Time to the first streamed chunk.", **advice)
        self.tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}", description="Tokens used per operation.")
        self.attempts = meter.create_counter("slogen.client.attempts", unit="{attempt}", description="HTTP attempts of GenAI operations, retries included.")
        self.failures = meter.create_counter("slogen.instrument.errors", description="Failures inside slogen.instrument, swallowed.")
        self.models = Cap("model", MAX_MODELS)

    def bounded(self, model: str, feature: str) -> tuple[str, str]:
        return self.models(model), feature

    def failed(self) -> None:
        self.failures.add(1)

    def record(self, call: Any, status: str, seconds: float, ttft: float | None, cost: float | None, trace: tuple[str, str] | None) -> None:
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": self.provider, "gen_ai.request.model": self.models(call.model)}
        for attempt, n in Tally(call.attempts).items():
            self.attempts.add(n, {**attrs, "http.response.status_code": attempt})
        if call.error_type:
            attrs["error.type"] = call.error_type
        self.duration.record(seconds, attrs)
        if ttft is not None:
            self.ttfc.record(ttft, attrs)
        if not call.error_type and call.usage_known and call.tokens:
            # Semantic conventions: Anthropic input counts cache reads and writes too; no failed operation records tokens.
            prompt = sum(call.tokens.get(k, 0) for k in ("input", "cache_read", "cache_write"))
            self.tokens.record(prompt, {**attrs, "gen_ai.token.type": "input"})
            self.tokens.record(call.tokens.get("output", 0), {**attrs, "gen_ai.token.type": "output"})
