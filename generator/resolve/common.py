"""What every part of resolution shares: the error, the profile gate, and selectors on the exporter's metrics."""

from __future__ import annotations

from fractions import Fraction

from generator import conventions as conv
from generator.profiles import Profile
from generator.promql import Matcher, Selector, Source, regex_literal
from generator.spec.load import Problem
from generator.spec.models import Spec


class ResolveError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))



class Gate:
    """Whether the profile has what a part of the bundle reads: a spec error where the user asked for it, else a warning."""

    def __init__(self, profile: Profile, problems: list[Problem], warnings: list[str]) -> None:
        self.profile, self.problems, self.warnings = profile, problems, warnings

    def allows(self, what: str, needs: list[str], explicit: bool, at: tuple, silence: str = "") -> bool:
        lacking = [n for n in needs if not self.profile.has(n)]
        if not lacking:
            return True
        name = lacking[0]
        hint = self.profile.missing.get(name, f"a {name} metric")
        message = (
            f"profile {self.profile.name} has no `{name}` signal, so {what} cannot be computed; export {hint}, "
            f"then name it under metrics.signals.{name}.metric"
        )
        if explicit:
            self.problems.append(Problem(at, message))
        else:
            self.warnings.append(f"{message}; left out{'; ' + silence if silence else ''}")
        return False


def token_source(spec: Spec, profile: Profile) -> Source:
    signal = profile.signals["tokens"]
    if signal.parts:
        parts = tuple((metric_selector(spec, profile, metric), kind) for kind, metric in signal.parts)
        if not signal.input_includes_cache:
            return Source(parts, conv.LABEL_TOKEN_TYPE)
        # Input counts the cache reads and writes too: slogen's `input` is the fresh part, as Anthropic counts it.
        cached = tuple(s for s, kind in parts if kind in ("cache_read", "cache_write"))
        return Source(parts, conv.LABEL_TOKEN_TYPE, gross="input", within=cached)
    return Source.of(signal_selector(spec, profile, "tokens"), conv.LABEL_TOKEN_TYPE, profile.label("tokens", "token_type"))


def labels_by(profile: Profile, signal: str, *names: str) -> dict[str, str | None]:
    return {n: profile.label(signal, "token_type" if n == conv.LABEL_TOKEN_TYPE else n) for n in names}


def percent_share(percent: float) -> Fraction:
    return Fraction(repr(percent)) / 100


def service_labels(spec: Spec) -> dict[str, str]:
    return {**spec.labels, **({"namespace": spec.kubernetes.namespace} if spec.kubernetes.namespace else {})}


def pick(*values):  # noqa: ANN002, ANN202 - first value the user set, else the default (last)
    return next(v for v in values if v is not None)


def matchers(spec: Spec, profile: Profile) -> tuple[Matcher, ...]:
    """The spec's matchers on every raw series, and the provider filter of GenAI metrics."""
    own = tuple(Matcher(k, "=", v) for k, v in spec.metrics.selector.items())
    provider = spec.metrics.provider
    if provider is None:
        return own
    # Either label may carry it (gen_ai.system before semconv 1.37); a series with neither is kept.
    either = f"{regex_literal(provider)}|"
    return own + tuple(Matcher(label, "=~", either) for label in profile.provider_labels)


def metric_selector(spec: Spec, profile: Profile, metric: str, aliases: tuple[str, ...] = ()) -> Selector:
    return Selector(metric, matchers(spec, profile), aliases)


def signal_selector(spec: Spec, profile: Profile, name: str, suffix: str = "") -> Selector:
    signal = profile.signals[name]
    return metric_selector(spec, profile, signal.metric, signal.aliases).suffixed(suffix)
