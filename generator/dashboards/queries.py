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

    def label(self, canonical: str, signal: str = "requests") -> str | None:
        """The exporter's name for a canonical label (model, feature, status, ...) on `signal`'s series; None where it has none
        (LiteLLM calls the model `requested_model` on requests and `model` on latencies)."""
        return self.service.profile.label(signal, canonical)

    def has(self, recording: str) -> bool:
        return recording in self.recorded

    def raw(self, signal: str, *matchers: q.Matcher, suffix: str = "", filters: tuple[str, ...] = VARIABLES) -> q.Selector:
        s = self.service.profile.signals[signal]
        return q.Selector(s.metric, (*self.service.selector, *matchers, *self._chosen(filters, signal)), s.aliases).suffixed(suffix)

    def _chosen(self, filters: tuple[str, ...], signal: str) -> tuple[q.Matcher, ...]:
        return tuple(q.Matcher(label, "=~", f"${v}") for v in filters if (label := self.label(v, signal)))

    def tokens(self, op: str, kind: str, by: str = "") -> str:
        """Raw token rate of some kinds, for profiles whose tokens no recording holds; `by` a canonical label."""
        source = self.service.thresholds.tokens.only(op, kind).plus(*self._chosen(VARIABLES, "tokens"))
        return source.rate(RATE, {by: self.label(by, "tokens")} if by else {})

    def rec(self, name: str, *matchers: q.Matcher, filters: tuple[str, ...] = ()) -> q.Selector:
        chosen = tuple(q.Matcher(v, "=~", f"${v}") for v in filters)
        return q.Selector(name, (q.Matcher(conv.LABEL_SERVICE, "=", self.service.name), *matchers, *chosen))

    def status(self, op: str, value: str) -> q.Matcher:
        return q.Matcher(self.label("status"), op, value)

    def token_type(self, op: str, value: str) -> q.Matcher:
        return q.Matcher(self.label("token_type"), op, value)

    def rate(self, selector: q.Selector, by: str = "") -> str:
        return f"sum by ({q.by_clause(*by.split(', '))}) (rate({selector}[{RATE}]))" if by else f"sum(rate({selector}[{RATE}]))"

    def quantile(self, signal: str, quantile: float) -> str:
        return f"histogram_quantile({quantile}, {self.rate(self.raw(signal, suffix='_bucket'), 'le')})"

    def requests_rate(self) -> str:
        return self.rate(self.raw("requests"))
