"""Spec models for the failure-mode alerts: the ways an LLM API fails that a burn rate alone would miss."""

from __future__ import annotations

from pydantic import Field, model_validator

from generator.spec.strict import Strict
from generator.spec.types import Duration, Share


class Credentials(Strict):
    """Requests refused for the service's own key or workspace (401, 403): an expired or revoked key fails every call."""

    enabled: bool = True
    ratio: Share = Field(50, description="Share of requests answered 401 or 403 over 2m, whatever the SLOs exclude...")
    hold: Duration = Field("2m", alias="for", description="...for this long pages (critical).")
    min_events: int = Field(3, ge=1, le=1_000_000, description="At least this many such answers in the 2m window, so one stray 401 at night pages no one.")


class ModelNotFound(Strict):
    """A model id the API no longer knows (404): a retired or misspelled model fails every call to it."""

    enabled: bool = True
    ratio: Share = Field(50, description="Share of a model's requests answered 404 over 2m...")
    hold: Duration = Field("2m", alias="for", description="...for this long pages (critical), per model.")
    min_events: int = Field(3, ge=1, le=1_000_000, description="At least this many answers of 404 for the model in the 2m window.")


class ClientErrors(Strict):
    """Answers the availability SLO excludes (400 context overflow, 413 too large, and any other excluded status) are
    still watched: a surge means a deploy broke the prompts, even though no budget burns."""

    enabled: bool = True
    above_baseline: Share = Field(10, description="Warn when the share of excluded answers over 15m is this many points above its own 1-day median...")
    floor: Share = Field(20, description="...and above this share of requests, over 15m and over 5m (so the warning ends with the surge)...")
    hold: Duration = Field("15m", alias="for", description="...for this long.")
    critical: Share = Field(50, description="Page when this share of requests gets an excluded answer over 5m...")
    critical_for: Duration = Field("5m", description="...for this long.")
    min_events: int = Field(10, ge=1, le=1_000_000, description="At least this many excluded answers in the window, for either severity.")

    @model_validator(mode="after")
    def _ordered(self) -> ClientErrors:
        if self.floor >= self.critical:
            raise ValueError(f"floor ({self.floor:g}%) must be below critical ({self.critical:g}%)")
        return self


class UpstreamDegraded(Strict):
    """The provider failing attempts (5xx, 529, timeouts) that the SDK's retries still turn into answers: users wait
    longer and the budget does not burn yet. Reads every HTTP attempt, which slogen.instrument counts."""

    enabled: bool = True
    ratio: Share = Field(10, description="Share of attempts failing with 5xx, 529, a timeout or a network error over both 15m and 5m...")
    hold: Duration = Field("10m", alias="for", description="...for this long raises a warning.")
    min_events: int = Field(10, ge=1, le=1_000_000, description="At least this many failed attempts in 15m.")
