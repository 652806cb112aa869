"""One finished LLM call: what it measured, turned into the prometheus-client profile's series and one JSON log line.

The metric names, labels and buckets are the profile's (generator/profiles.py), so every
threshold of the default spec is a bucket and every rule of the bundle finds its series.
"""

from __future__ import annotations

import json
import logging
import time
import weakref
from dataclasses import dataclass, field

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from generator.profiles import PROMETHEUS_CLIENT as PROFILE

LOG = logging.getLogger("slogen.instrument")
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write")
DIMENSIONS = ("requests", "tokens", "input_tokens", "output_tokens")


def _counter_name(metric: str) -> str:
    """prometheus_client appends `_total` to a counter's name itself."""
    return metric.removesuffix("_total")


@dataclass
class Call:
    """What one call did; filled in as the response, the stream and the headers arrive."""

    model: str
    feature: str
    stream: bool = False
    started: float = field(default_factory=time.perf_counter)
    status: str = ""
    error_type: str = ""
    request_id: str = ""
    stop_reason: str = ""
    first_token: float | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: str | None = None  # only when the caller asked to log it
    done: bool = False

    def set_tokens(self, **counts: int | None) -> None:
        """Stream usage is cumulative: the last report wins."""
        for kind, n in counts.items():
            if n is not None:
                self.tokens[kind] = int(n)

    def first_content(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter()


class Pricing:
    """USD per million tokens by model, as in slo.yaml's `pricing`; an unlisted model costs the default."""

    def __init__(self, models: dict[str, dict[str, float]], default: dict[str, float] | None = None) -> None:
        self.models = {m: {t: float(p.get(t, 0)) for t in TOKEN_TYPES} for m, p in models.items()}
        # The same rule as the bundle's: no default means the highest listed price of each type.
        self.default = (
            {t: float(default.get(t, 0)) for t in TOKEN_TYPES}
            if default
            else {t: max((p[t] for p in self.models.values()), default=0.0) for t in TOKEN_TYPES}
        )

    def cost(self, model: str, tokens: dict[str, int]) -> float:
        price = self.models.get(model, self.default)
        return sum(n * price[t] for t, n in tokens.items() if t in price) / 1e6


class Metrics:
    """The profile's series in one registry (created once per registry: prometheus_client refuses twins)."""

    _made: weakref.WeakKeyDictionary[CollectorRegistry, Metrics] = weakref.WeakKeyDictionary()  # ids are reused once freed

    def __init__(self, registry: CollectorRegistry) -> None:
        s, labels = PROFILE.signals, PROFILE.labels
        mf = (labels["model"], labels["feature"])
        self.requests = Counter(_counter_name(s["requests"].metric), "Finished LLM API calls.", (*mf, labels["status"]), registry=registry)
        self.ttft = Histogram(s["ttft"].metric, "Time to the first streamed token.", mf, buckets=s["ttft"].buckets, registry=registry)
        self.duration = Histogram(s["duration"].metric, "Total call time.", mf, buckets=s["duration"].buckets, registry=registry)
        self.tokens = Counter(_counter_name(s["tokens"].metric), "Tokens by type.", (*mf, labels["token_type"]), registry=registry)
        self.cost = Counter(_counter_name(s["cost"].metric), "Spend in USD.", mf, registry=registry)
        self.responses = Counter(_counter_name(s["responses"].metric), "Responses by stop reason.", (*mf, labels["stop_reason"]), registry=registry)
        dims = (labels["model"], labels["dimension"])
        self.limit = Gauge(s["ratelimit_limit"].metric, "Rate limit, from the provider's headers.", dims, registry=registry)
        self.remaining = Gauge(s["ratelimit_remaining"].metric, "Rate limit left, from the provider's headers.", dims, registry=registry)
        self.failures = Counter("slogen_instrument_errors", "Failures inside slogen.instrument, swallowed so calls are never changed.", registry=registry)

    @classmethod
    def of(cls, registry: CollectorRegistry | None) -> Metrics:
        registry = registry or REGISTRY
        if registry not in cls._made:
            cls._made[registry] = cls(registry)
        return cls._made[registry]


# (header prefix, dimension) pairs: Anthropic's, then the OpenAI-compatible spelling.
_ANTHROPIC = {f"anthropic-ratelimit-{d.replace('_', '-')}-": d for d in DIMENSIONS}
_OPENAI = {"requests": "requests", "tokens": "tokens"}


def ratelimits(headers: dict[str, str]) -> list[tuple[str, str, float]]:
    """(dimension, limit|remaining, value) from a response's rate-limit headers."""
    out = []
    for prefix, dim in _ANTHROPIC.items():
        for kind in ("limit", "remaining"):
            if (value := headers.get(prefix + kind)) is not None:
                out.append((dim, kind, value))
    for suffix, dim in _OPENAI.items():
        for kind in ("limit", "remaining"):
            if (value := headers.get(f"x-ratelimit-{kind}-{suffix}")) is not None:
                out.append((dim, kind, value))
    parsed = []
    for dim, kind, value in out:
        try:
            parsed.append((dim, kind, float(value)))
        except ValueError:
            continue
    return parsed


class PrometheusSink:
    """The prometheus-client profile's series."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._children: dict[tuple, object] = {}

    def _child(self, metric: object, *labels: str):  # noqa: ANN202 - prometheus_client's labels() costs microseconds each
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)  # type: ignore[attr-defined]
        return child

    def failed(self) -> None:
        self.metrics.failures.inc()

    def record(self, call: Call, status: str, seconds: float, ttft: float | None, cost: float | None) -> None:
        m, model, feature, child = self.metrics, call.model, call.feature, self._child
        child(m.requests, model, feature, status).inc()
        child(m.duration, model, feature).observe(seconds)
        if ttft is not None:
            child(m.ttft, model, feature).observe(ttft)
        for kind, n in call.tokens.items():
            child(m.tokens, model, feature, kind).inc(n)
        if cost:
            child(m.cost, model, feature).inc(cost)
        if call.stop_reason:
            child(m.responses, model, feature, call.stop_reason).inc()
        for dim, kind, value in ratelimits(call.headers):
            child(m.limit if kind == "limit" else m.remaining, model, dim).set(value)


class OtelSink:
    """OpenTelemetry GenAI semantic-convention metrics (what the otel-genai profile reads), on the caller's meter."""

    def __init__(self, meter: object, provider: str) -> None:
        from generator.profiles import OTEL_DURATION_BUCKETS

        advice = {"explicit_bucket_boundaries_advisory": list(OTEL_DURATION_BUCKETS)}
        self.provider = provider
        self.duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s", description="GenAI operation duration.", **advice)  # type: ignore[attr-defined]
        self.ttfc = meter.create_histogram("gen_ai.client.operation.time_to_first_chunk", unit="s", description="Time to the first streamed chunk.", **advice)  # type: ignore[attr-defined]
        self.tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}", description="Tokens used per operation.")  # type: ignore[attr-defined]
        self.failures = meter.create_counter("slogen.instrument.errors", description="Failures inside slogen.instrument, swallowed.")  # type: ignore[attr-defined]

    def failed(self) -> None:
        self.failures.add(1)

    def record(self, call: Call, status: str, seconds: float, ttft: float | None, cost: float | None) -> None:
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": self.provider, "gen_ai.request.model": call.model}
        if call.error_type:
            attrs["error.type"] = call.error_type
        self.duration.record(seconds, attrs)
        if ttft is not None:
            self.ttfc.record(ttft, attrs)
        if not call.error_type and call.tokens:
            # Semantic conventions: Anthropic input counts cache reads and writes too; no failed operation records tokens.
            prompt = sum(call.tokens.get(k, 0) for k in ("input", "cache_read", "cache_write"))
            self.tokens.record(prompt, {**attrs, "gen_ai.token.type": "input"})
            self.tokens.record(call.tokens.get("output", 0), {**attrs, "gen_ai.token.type": "output"})


class Recorder:
    """Turns finished calls into series and a log line; never raises into the caller."""

    def __init__(self, sink: PrometheusSink | OtelSink, pricing: Pricing | None, logger: logging.Logger, log_content: bool) -> None:
        self.sink, self.pricing, self.logger, self.log_content = sink, pricing, logger, log_content

    def finish(self, call: Call) -> None:
        if call.done:
            return
        call.done = True
        try:
            self._record(call)
        except Exception:  # noqa: BLE001 - instrumentation must never change the call's behaviour
            self.failed()

    def failed(self) -> None:
        try:
            self.sink.failed()
        except Exception:  # noqa: BLE001
            pass

    def _record(self, call: Call) -> None:
        ended = time.perf_counter()
        status = call.status or "200"
        ttft = call.first_token - call.started if call.first_token is not None else None
        cost = self.pricing.cost(call.model, call.tokens) if self.pricing is not None else None
        self.sink.record(call, status, ended - call.started, ttft, cost)
        if not self.logger.isEnabledFor(logging.INFO):
            return
        line = {
            "event": "llm_call",
            "request_id": call.request_id,
            "model": call.model,
            "feature": call.feature,
            **{f"{k}_tokens": call.tokens.get(k, 0) for k in TOKEN_TYPES},
            "stop_reason": call.stop_reason,
            "stream": call.stream,
            "duration_ms": round((ended - call.started) * 1000, 3),
            "ttft_ms": round(ttft * 1000, 3) if ttft is not None else None,
            "cost_usd": round(cost, 8) if cost is not None else None,
            "status": status,
            "error_type": call.error_type,
        }
        if self.log_content and call.content is not None:
            line["content"] = call.content
        self.logger.info(json.dumps(line, ensure_ascii=False))
