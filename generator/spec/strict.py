"""The base of every spec model: strict (unknown keys are errors), frozen, built on first use."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # No .nan or .inf anywhere: every number of the spec ends up in PromQL or arithmetic.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, allow_inf_nan=False)
