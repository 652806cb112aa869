"""An SLO's SLI: which series count good, bad and total events, in the exporter's names and labels."""

from __future__ import annotations

from dataclasses import dataclass

from generator import conventions as conv
from generator.durations import format_number, parse_seconds
from generator.profiles import Profile
from generator.promql import Matcher, Selector, le_pattern, regex_literal
from generator.resolve.common import ResolveError, signal_selector
from generator.spec.load import Problem
from generator.spec.models import SLO, Spec


@dataclass(frozen=True)
class RatioSLI:
    """Bad events are a subset of total events, both counted by one counter."""

    bad: Selector
    total: Selector
    phrase: str

    @property
    def metrics(self) -> frozenset[str]:
        """The exporter's metrics the SLI reads."""
        return frozenset({self.bad.metric, self.total.metric})


@dataclass(frozen=True)
class HistogramSLI:
    """Good events are the bucket at the threshold; total is the histogram's count."""

    good: Selector
    total: Selector
    phrase: str
    threshold: str

    @property
    def metrics(self) -> frozenset[str]:
        """The exporter's metrics the SLI reads."""
        return frozenset({self.good.metric, self.total.metric})


SLIQuery = RatioSLI | HistogramSLI


def exclusions(profile: Profile, statuses: list[str]) -> str:
    """`exclude_status` in the exporter's spelling: a code, and the name the exporter gives it where it differs."""
    out: list[str] = []
    for status in sorted(set(statuses)):
        spelled = profile.outcome.spell(status) if status in profile.outcome.spellings else status
        if spelled != status:
            out.append(f"(.+\\.)?{regex_literal(spelled)}|{regex_literal(status)}")
        elif profile.outcome.spellings and not status.isdigit():
            out.append(f"(.+\\.)?{regex_literal(status)}")  # a class name, maybe fully qualified
        else:
            out.append(regex_literal(status))
    return "|".join(out)


def resolve_sli(spec: Spec, slo: SLO, profile: Profile) -> tuple[SLIQuery, str]:
    if slo.sli.availability is not None:
        avail = slo.sli.availability
        status = profile.label("requests", "status")
        if status is None:
            raise ResolveError([Problem(("sli", "availability"), f"profile {profile.name} has no status label; name it under metrics.labels.status")])
        total = signal_selector(spec, profile, "requests")
        if avail.exclude_status:
            if not profile.outcome.codes:
                raise ResolveError(
                    [Problem(("sli", "availability", "exclude_status"), f"profile {profile.name} records no status codes ({profile.outcome.doc}); "
                             "remove exclude_status, or export the HTTP status and name its label under metrics.labels.status")]
                )
            total = total.plus(Matcher(status, "!~", exclusions(profile, avail.exclude_status)))
        if avail.bad_status is not None and avail.good_status is not None:
            raise ResolveError([Problem(("sli", "availability"), "set good_status or bad_status, not both")])
        good = avail.good_status if avail.good_status is not None else profile.outcome.good
        bad = total.plus(Matcher(status, "=~", avail.bad_status) if avail.bad_status is not None else Matcher(status, "!~", good))
        excluded = f", not counting {', '.join(sorted(set(avail.exclude_status)))}" if avail.exclude_status else ""
        return RatioSLI(bad, total, f"of requests succeed{excluded}"), conv.CATEGORY_AVAILABILITY
    latency = slo.sli.latency
    assert latency is not None  # the model guarantees exactly one kind
    if not profile.has(latency.signal):
        hint = profile.missing.get(latency.signal, f"a {latency.signal} histogram")
        other = "duration" if latency.signal == "ttft" else "ttft"
        raise ResolveError(
            [
                Problem(
                    ("sli", "latency", "signal"),
                    f"profile {profile.name} has no {'time-to-first-token' if latency.signal == 'ttft' else 'duration'} metric; export {hint} "
                    f"and name it under metrics.signals.{latency.signal}.metric"
                    + (f", or use signal: {other}" if profile.has(other) else ""),
                )
            ]
        )
    signal = profile.signals[latency.signal]
    threshold = parse_seconds(latency.threshold)
    if not any(abs(b - threshold) < 1e-9 for b in signal.buckets):
        valid = ", ".join(format_number(b) for b in signal.buckets)
        fix = profile.bucket_fix.format(signal=latency.signal, threshold=format_number(threshold), instrument=signal.instrument or signal.metric)
        raise ResolveError(
            [
                Problem(
                    ("sli", "latency", "threshold"),
                    f"{latency.threshold} is not a bucket boundary of {signal.metric}; valid: {valid} (seconds), or {fix}",
                )
            ]
        )
    total = signal_selector(spec, profile, latency.signal, "_count")
    good = signal_selector(spec, profile, latency.signal, "_bucket").plus(Matcher("le", "=~", le_pattern(threshold)))
    what = "time to first token" if latency.signal == "ttft" else "total response time"
    return HistogramSLI(good, total, f"of requests get a {what} within {latency.threshold}", latency.threshold), conv.CATEGORY_LATENCY
