"""Metric profiles: where each signal lives for one kind of exporter.

Only the first layer of recording rules reads these names; everything after it reads
slogen's normalised recordings, so a new exporter is a new profile, not a new compiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["counter", "histogram", "gauge"]


@dataclass(frozen=True)
class Signal:
    metric: str
    kind: Kind
    buckets: tuple[float, ...] = ()

    @property
    def bucket_metric(self) -> str:
        return f"{self.metric}_bucket"

    @property
    def count_metric(self) -> str:
        return f"{self.metric}_count"

    @property
    def sum_metric(self) -> str:
        return f"{self.metric}_sum"


@dataclass(frozen=True)
class Profile:
    name: str
    signals: dict[str, Signal]
    labels: dict[str, str] = field(default_factory=dict)  # canonical label -> the exporter's label name


PROMETHEUS_CLIENT = Profile(
    name="prometheus-client",
    signals={
        "requests": Signal("claude_api_requests_total", "counter"),
        "ttft": Signal("claude_api_ttft_seconds", "histogram", (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60)),
        "duration": Signal("claude_api_request_duration_seconds", "histogram", (0.5, 1, 2, 5, 10, 15, 30, 60, 120)),
        "tokens": Signal("claude_api_tokens_total", "counter"),
        "cost": Signal("claude_api_cost_usd_total", "counter"),
        "responses": Signal("claude_api_responses_total", "counter"),
        "ratelimit_limit": Signal("claude_api_ratelimit_limit", "gauge"),
        "ratelimit_remaining": Signal("claude_api_ratelimit_remaining", "gauge"),
    },
    labels={
        "model": "model",
        "feature": "feature",
        "status": "status_code",
        "token_type": "type",
        "stop_reason": "stop_reason",
        "dimension": "dimension",
    },
)

PROFILES = {p.name: p for p in (PROMETHEUS_CLIENT,)}


def with_overrides(profile: Profile, signals: dict[str, dict], labels: dict[str, str | None]) -> Profile:
    """The profile with the spec's overrides applied (pure; the built-in profile is never changed)."""
    merged = dict(profile.signals)
    for name, override in signals.items():
        base = merged[name]
        merged[name] = replace(
            base,
            metric=override.get("metric") or base.metric,
            buckets=tuple(sorted(override["buckets"])) if override.get("buckets") else base.buckets,
        )
    new_labels = {**profile.labels, **{k: v for k, v in labels.items() if v}}
    return replace(profile, signals=merged, labels=new_labels)
