"""Spec models for pricing, budgets (cost, rate limits) and the fixed-threshold operational alerts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from generator import conventions as conv
from generator.spec.failure_alerts import ClientErrors, Credentials, ModelNotFound, UpstreamDegraded
from generator.spec.strict import Strict
from generator.spec.types import Duration, Labels, LabelValue, Name, Number, Percent, Share, bounded


class ModelPrice(Strict):
    """USD per million tokens."""

    input: Number = Field(ge=0, description="Fresh input tokens.")
    output: Number = Field(ge=0, description="Output tokens.")
    cache_write: Number = Field(0, ge=0, description="Prompt-cache writes.")
    cache_read: Number = Field(0, ge=0, description="Prompt-cache reads.")


class Pricing(Strict):
    """Prices per model, dated: prices change and the spec must say when they were true."""

    as_of: dt.date = Field(description="Date the prices were copied from the provider's price list.")
    models: dict[str, ModelPrice] = Field(description="Model name (as in the `model` label) to its prices.")
    default: ModelPrice | None = Field(
        None, description="Price of tokens from a model not listed (an info alert names it). Default: the highest listed price per token type."
    )


class Allocation(Strict):
    """A share of the spend with its own monthly budget: one feature, or the features a team owns."""

    features: list[LabelValue] | None = Field(None, min_length=1, description="Values of the feature label it covers. Default: the allocation's name.")
    monthly_usd: Number = Field(gt=0, description="Its spend budget for 30 days, in USD.")
    max_overspend: Percent | None = Field(None, description="Forecast line for this allocation. Default: the service's.")
    labels: Labels = Field(default_factory=dict, description="Extra labels on its alerts, e.g. `{team: search}` to route them to that team.")


class CostBudget(Strict):
    monthly_usd: Number = Field(gt=0, description="Spend budget for 30 days, in USD.")
    max_overspend: Percent = Field(120, description="Alert when the current pace puts 30-day spend above this share of the budget.")
    per_request_usd: Annotated[float, Field(gt=0), AfterValidator(bounded)] | None = Field(None, description="Alert when the average cost of a request exceeds this.")
    source: Literal["tokens", "counter"] = Field(
        "tokens", description="`tokens`: cost is tokens x pricing; `counter`: the exporter's own USD counter (signal `cost`)."
    )
    anomaly_factor: Number = Field(3, gt=1, description="Alert when spend over 15m runs this many times above its 1-day average.")
    allocations: dict[Name, Allocation] = Field(
        default_factory=dict,
        description="Budgets of their own for some features or teams, e.g. `{search-team: {features: [search, rerank], monthly_usd: 800}}`.",
    )


class RateLimitBudget(Strict):
    """Headroom under the provider's rate limits, read from the `anthropic-ratelimit-*` header gauges."""

    enabled: bool = Field(True, description="Emit the rate-limit rules and alerts.")
    warning: Percent = Field(80, description="Utilisation (1 - remaining/limit) of any model and dimension that raises a warning.")
    critical: Percent = Field(90, description="Utilisation that pages.")
    warning_for: Duration = Field("5m", description="How long utilisation must stay above `warning` before the warning.")
    critical_for: Duration = Field("2m", description="How long utilisation must stay above `critical` before the page.")
    throttled_per_second: Number = Field(0.1, gt=0, description="429 responses per second, per model, that raise a warning.")
    throttled_for: Duration = Field("5m", description="How long the 429 rate must stay above that before alerting.")
    stale_after: Duration = Field("15m", description="Alert when the remaining-gauge has not changed this long while requests flow.")

    @model_validator(mode="after")
    def _ordered(self) -> RateLimitBudget:
        if not 0 < self.warning < self.critical <= 100:
            raise ValueError(f"need 0 < warning < critical <= 100 (got warning {self.warning:g}, critical {self.critical:g})")
        return self


class TtftAlert(Strict):
    """p95 time to first token, from the ttft histogram."""

    enabled: bool = True
    warning: Duration = Field("5s", description=f"p95 over the last {conv.TTFT_WINDOW} above this raises a warning...")
    warning_for: Duration = Field("5m", description="...once it lasts this long.")
    critical: Duration = Field("15s", description=f"p95 over the last {conv.TTFT_WINDOW} above this pages...")
    critical_for: Duration = Field("3m", description="...once it lasts this long.")


class ErrorBurst(Strict):
    """A burst of failed requests too short for the burn-rate alerts to care about yet."""

    enabled: bool = True
    ratio: Share = Field(
        5, description=f"Share of failed requests over the last {conv.BURST_WINDOW}, with at least {conv.BURST_MIN_FAILURES} failures in it..."
    )
    hold: Duration = Field(
        "5m", alias="for", description="...sustained this long raises a warning. Keep it longer than the short blips the SLO budget absorbs."
    )


class Truncations(Strict):
    """Responses cut off by max_tokens: users get half answers."""

    enabled: bool = True
    ratio: Share = Field(
        10, description=f"Share of responses with stop_reason max_tokens over the last {conv.TRUNCATION_WINDOW} that raises a warning "
        f"once it lasts {conv.TRUNCATION_HOLD}."
    )


class ServerErrors(Strict):
    """Server-side failures (5xx, including 529 overloaded) that go on: the provider, not a blip."""

    enabled: bool = True
    ratio: Share = Field(
        1, description=f"Share of requests answered 5xx/529 over both the last {conv.SUSTAINED_WINDOW} and the last {conv.SUSTAINED_SHORT}, "
        f"with at least {conv.SUSTAINED_MIN} of them over the {conv.SUSTAINED_WINDOW}..."
    )
    hold: Duration = Field("10m", alias="for", description="...for this long raises a warning.")


class CacheReads(Strict):
    """Prompt caching that stopped working: the cache-read share of input tokens falls to zero."""

    enabled: bool = True
    steady: Share = Field(
        10, description=f"A feature counts as caching while the median over the previous {conv.CACHE_BASELINE} of its cache-read share of prompt "
        f"tokens (each share over {conv.CACHE_WINDOW}) is above this..."
    )
    collapsed: Share = Field(1, description=f"...and warns once the share over the last {conv.CACHE_WINDOW} has stayed below this for {conv.CACHE_HOLD}.")

    @model_validator(mode="after")
    def _ordered(self) -> CacheReads:
        if self.collapsed >= self.steady:
            raise ValueError(f"collapsed ({self.collapsed:g}%) must be below steady ({self.steady:g}%)")
        return self


class OutputSpeed(Strict):
    """Output tokens per second of request time, per model, against the model's own last day."""

    enabled: bool = True
    drop: Share = Field(
        50, description=f"Warn once a model's output speed averaged over the last {conv.SPEED_WINDOW} has stayed more than this share "
        f"below its median over the previous {conv.SPEED_BASELINE} for {conv.SPEED_HOLD}, while under {conv.SPEED_MAX_FAILED}% of its "
        f"requests fail (failed calls write no tokens: a storm of failures is the availability alerts' to report)."
    )


class ThresholdAlerts(Strict):
    """Operational alerts with fixed thresholds, beside the SLOs' burn rates."""

    ttft_p95: TtftAlert = Field(default_factory=TtftAlert)
    error_burst: ErrorBurst = Field(default_factory=ErrorBurst)
    server_errors: ServerErrors = Field(default_factory=ServerErrors)
    truncations: Truncations = Field(default_factory=Truncations)
    cache_reads: CacheReads = Field(default_factory=CacheReads)
    output_speed: OutputSpeed = Field(default_factory=OutputSpeed)
    credentials: Credentials = Field(default_factory=Credentials)
    model_not_found: ModelNotFound = Field(default_factory=ModelNotFound)
    client_errors: ClientErrors = Field(default_factory=ClientErrors)
    upstream_degraded: UpstreamDegraded = Field(default_factory=UpstreamDegraded)


class Budgets(Strict):
    cost: CostBudget | None = None
    rate_limits: RateLimitBudget = Field(default_factory=RateLimitBudget)
