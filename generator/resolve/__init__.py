"""Spec -> resolved SLOs: profile applied, defaults filled, windows chosen, selectors built. Pure.

One module per part of the service it resolves: `sli` (which series count), `slos` (objective, burn pairs),
`thresholds` (the `alerts:` block), `cost`, `ratelimits`, `notifications`; `service` puts them together and
`common` holds the error, the profile gate and the selector helpers they share.
"""

from generator.resolve.common import ResolveError
from generator.resolve.cost import TOKEN_TYPES, Allocation, ResolvedCost
from generator.resolve.ratelimits import ResolvedRateLimits
from generator.resolve.service import ResolvedService, resolve
from generator.resolve.sli import HistogramSLI, RatioSLI, SLIQuery
from generator.resolve.slos import DEFAULT_MIN_EVENTS, DEFAULT_NODATA_FOR, ResolvedSLO
from generator.resolve.thresholds import ResolvedThresholds

__all__ = [
    "DEFAULT_MIN_EVENTS",
    "DEFAULT_NODATA_FOR",
    "TOKEN_TYPES",
    "Allocation",
    "HistogramSLI",
    "RatioSLI",
    "ResolveError",
    "ResolvedCost",
    "ResolvedRateLimits",
    "ResolvedSLO",
    "ResolvedService",
    "ResolvedThresholds",
    "SLIQuery",
    "resolve",
]
