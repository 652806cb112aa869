"""PromQL for panels: the bundle's recording rules where one exists, the exporter's metrics otherwise.

Recording rules carry slogen's canonical label names; raw metrics the exporter's. The model and
feature variables filter both, each under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import conventions as conv
from generator import promql as q
from generator.resolve import ResolvedService

RATE = "$__rate_interval"
VARIABLES = (conv.LABEL_MODEL, conv.LABEL_FEATURE)


@dataclass(frozen=True)
class Queries:
    service: ResolvedService
    recorded: frozenset[str]

    def label(self, canonical: str) -> str:
        """The exporter's name for a canonical label (model, feature, status, token_type, ...)."""
        return self.service.profile.labels.get(canonical, canonical)

    def has(self, recording: str) -> bool:
        return recording in self.recorded

    def raw(self, signal: str, *matchers: q.Matcher, suffix: str = "", filters: tuple[str, ...] = VARIABLES) -> q.Selector:
        metric = self.service.profile.signals[signal].metric + suffix
        chosen = tuple(q.Matcher(self.label(v), "=~", f"${v}") for v in filters)
        return q.Selector(metric, (*self.service.selector, *matchers, *chosen))

    def rec(self, name: str, *matchers: q.Matcher, filters: tuple[str, ...] = ()) -> q.Selector:
        chosen = tuple(q.Matcher(v, "=~", f"${v}") for v in filters)
        return q.Selector(name, (q.Matcher(conv.LABEL_SERVICE, "=", self.service.name), *matchers, *chosen))

    def status(self, op: str, value: str) -> q.Matcher:
        return q.Matcher(self.label("status"), op, value)

    def token_type(self, op: str, value: str) -> q.Matcher:
        return q.Matcher(self.label("token_type"), op, value)

    def rate(self, selector: q.Selector, by: str = "") -> str:
        return f"sum by ({by}) (rate({selector}[{RATE}]))" if by else f"sum(rate({selector}[{RATE}]))"

    def quantile(self, signal: str, quantile: float) -> str:
        return f"histogram_quantile({quantile}, {self.rate(self.raw(signal, suffix='_bucket'), 'le')})"

    def requests_rate(self) -> str:
        return self.rate(self.raw("requests"))
