"""The series a finished call adds: the prometheus-client profile's, or the OpenTelemetry GenAI ones.

The metric names, labels and buckets are the profile's (generator/profiles.py), so every threshold of the default
spec is a bucket and every rule of the bundle finds its series."""

from __future__ import annotations

import weakref
from collections import Counter as Tally
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter

from slogen._context import Cap
from slogen._ledger import Ledger

MAX_FEATURES, MAX_MODELS = 100, 100


class Metrics:
    """The profile's series in one registry (made once per registry: prometheus_client refuses twins), with the
    caps on its label values, which are the registry's too."""

    _made: weakref.WeakKeyDictionary[CollectorRegistry, Metrics] = weakref.WeakKeyDictionary()  # ids are reused once freed

    def __init__(self, registry: CollectorRegistry) -> None:
        self.ledger = Ledger()
        registry.register(self.ledger)
        self.failures = Counter("slogen_instrument_errors", "Failures inside slogen.instrument, swallowed so calls are never changed.", registry=registry)
        self.features, self.models = Cap("feature", MAX_FEATURES), Cap("model", MAX_MODELS)

    @classmethod
    def of(cls, registry: CollectorRegistry | None) -> Metrics:
        registry = registry or REGISTRY
        if registry not in cls._made:
            cls._made[registry] = cls(registry)
        return cls._made[registry]


class PrometheusSink:
    """The prometheus-client profile's series."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def bounded(self, model: str, feature: str) -> tuple[str, str]:
        return self.metrics.models(model), self.metrics.features(feature)

    def failed(self) -> None:
        self.metrics.failures.inc()

    def record(self, call: Any, status: str, seconds: float, ttft: float | None, cost: float | None, trace: tuple[str, str] | None) -> None:
        model, feature = self.bounded(call.model, call.feature)
        self.metrics.ledger.add(
            model, feature, status, call.attempts, seconds, ttft, trace,
            call.tokens if call.usage_known else None, cost, call.stop_reason, call.headers,
        )


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
