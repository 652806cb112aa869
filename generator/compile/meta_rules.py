"""SLO metadata recordings: objective, budget, period, burn rates and budget left."""

from __future__ import annotations

from generator import conventions as conv
from generator.compile.sli_rules import recording_selector
from generator.durations import format_number
from generator.ir import RecordingRule
from generator.resolve import ResolvedSLO

# The page tier's long window: recent enough to act on, long enough not to flap.
CURRENT_WINDOW = "1h"


def build(slo: ResolvedSLO) -> list[RecordingRule]:
    labels = slo.identity
    budget = format_number(float(slo.budget))
    period_ratio = recording_selector(conv.sli_error_ratio(slo.period), slo)
    return [
        RecordingRule(conv.OBJECTIVE, f"vector({format_number(float(slo.objective / 100))})", labels),
        RecordingRule(conv.ERROR_BUDGET, f"vector({budget})", labels),
        RecordingRule(conv.PERIOD_DAYS, f"vector({format_number(slo.period_seconds / 86400)})", labels),
        RecordingRule(conv.BURN_RATE_CURRENT, f"{recording_selector(conv.sli_error_ratio(CURRENT_WINDOW), slo)} / {budget}", labels),
        RecordingRule(conv.PERIOD_BURN_RATE, f"{period_ratio} / {budget}", labels),
        RecordingRule(conv.BUDGET_REMAINING, f"1 - {period_ratio} / {budget}", labels),
    ]
