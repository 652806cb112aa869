"""PromQL for panels: the bundle's recording rules where one exists, the exporter's metrics otherwise.

This is the one place that decides a board's filters. A board has a model or feature variable only
where the request series carry that label (its values are listed from them), and every selector gets
exactly the variables its own series carry: raw metrics by the profile's label names per signal,
recordings by the labels their rules keep. So no query names a variable its board lacks (Grafana
would send the literal `$feature` and match nothing), and choosing a model never empties a panel
whose series cannot be told apart by model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator import conventions as conv
from generator import promql as q
from generator.resolve import ResolvedService

RATE = "$__rate_interval"
VARIABLES = (conv.LABEL_MODEL, conv.LABEL_FEATURE)


@dataclass(frozen=True)
class Queries:
    service: ResolvedService
    recorded: frozenset[str]
    variables: tuple[str, ...] = field(init=False)  # the board's filter variables, canonical names

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", tuple(v for v in VARIABLES if self.label(v) is not None))

    def label(self, canonical: str, signal: str = "requests") -> str | None:
        """The exporter's name for a canonical label (model, feature, status, ...) on `signal`'s series; None where it has none
        (LiteLLM calls the model `requested_model` on requests and `model` on latencies)."""
        return self.service.profile.label(signal, canonical)

    def has(self, recording: str) -> bool:
        return recording in self.recorded

    def values_of(self, variable: str) -> str:
        """The `label_values` query listing a variable's choices: every request series, unfiltered."""
        return f"label_values({self._raw('requests', ())}, {self.label(variable)})"

    def raw(self, signal: str, *matchers: q.Matcher, suffix: str = "") -> q.Selector:
        """The exporter's series of `signal`, filtered by every board variable they carry."""
        return self._raw(signal, (*matchers, *self._chosen(signal))).suffixed(suffix)

    def _raw(self, signal: str, matchers: tuple[q.Matcher, ...]) -> q.Selector:
        s = self.service.profile.signals[signal]
        return q.Selector(s.metric, (*self.service.selector, *matchers), s.aliases)

    def _chosen(self, signal: str) -> tuple[q.Matcher, ...]:
        return tuple(q.Matcher(label, "=~", f"${v}") for v in self.variables if (label := self.label(v, signal)))

    def splits(self, signal: str, canonical: str) -> bool:
        """Whether `signal`'s series tell `canonical` values apart (a panel split by it shows more than one total)."""
        return self.label(canonical, signal) is not None

    def tokens(self, kind: str, by: str = "", source: q.Source | None = None) -> str:
        """Raw token rate of one kind (or of `source`), for profiles whose tokens no recording holds; `by` a canonical label."""
        chosen = (source or self.service.thresholds.tokens.only("=", kind)).plus(*self._chosen("tokens"))
        return chosen.rate(RATE, {by: self.label(by, "tokens")} if by else {})

    def kept(self, recording: str) -> frozenset[str]:
        """Canonical labels a recording keeps, from the same label maps its rule groups by (compile/*_rules.py)."""
        s, model, feature = self.service, conv.LABEL_MODEL, conv.LABEL_FEATURE
        t, rl = s.thresholds.by, s.rate_limits.by if s.rate_limits is not None else {}
        cost = s.cost.by if s.cost is not None else {}
        by: dict[str, dict[str, str | None]] = {
            conv.COST_RATE: {k: cost.get(k) for k in (model, feature)},
            conv.TOKENS_RATE: {k: cost.get(k) for k in (model, feature)},
            conv.CACHE_READ_SHARE_30M: {feature: t.get(feature)},
            conv.OUTPUT_SPEED_5M: {model: t.get(model)},
            conv.RATELIMIT_UTILISATION: {model: rl.get(model)},
            conv.THROTTLED_RATE: {model: rl.get(model)},
        }
        return frozenset(k for k, v in by.get(recording, {}).items() if v)

    def rec(self, name: str, *matchers: q.Matcher) -> q.Selector:
        """One of the bundle's recordings for this service, filtered by every board variable it keeps."""
        chosen = tuple(q.Matcher(v, "=~", f"${v}") for v in self.variables if v in self.kept(name))
        return q.Selector(name, (q.Matcher(conv.LABEL_SERVICE, "=", self.service.name), *matchers, *chosen))

    def status(self, op: str, value: str) -> q.Matcher:
        return q.Matcher(self.label("status"), op, value)

    def rate(self, selector: q.Selector, by: str = "") -> str:
        return f"sum by ({q.by_clause(*by.split(', '))}) (rate({selector}[{RATE}]))" if by else f"sum(rate({selector}[{RATE}]))"

    def quantile(self, signal: str, quantile: float) -> str:
        return f"histogram_quantile({quantile}, {self.rate(self.raw(signal, suffix='_bucket'), 'le')})"

    def requests_rate(self) -> str:
        return self.rate(self.raw("requests"))


def per(part: str, whole: str) -> str:
    """`part / whole` where a part never counted yet (no 429 so far, no cache writes) reads 0, not No data:
    `whole * 0` fills each of the whole's series the part lacks; both must be grouped the same way."""
    return f"({part} or {whole} * 0) / {whole}"
