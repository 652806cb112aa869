"""`slogen explain`: the numbers behind every SLO's alerts, in a table a reviewer can check by hand."""

from __future__ import annotations

import math

from generator import conventions as conv
from generator import windows as win
from generator.burnmodel import outage_detection_minutes
from generator.compile.failure_rules import SHORT, SURGE, SURGE_FAST, UPSTREAM, UPSTREAM_SHORT
from generator.compile.threshold_rules import MIN_FAILURES
from generator.durations import format_number, parse_seconds
from generator.resolve.failures import ResolvedFailures
from generator.resolve import HistogramSLI, RatioSLI, ResolvedCost, ResolvedRateLimits, ResolvedService, ResolvedSLO, ResolvedThresholds


def _minutes(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.1f} h"
    if value < 1:
        return f"{value * 60:.0f} s"
    return f"{value:.1f} min" if value != int(value) else f"{int(value)} min"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip(), fmt.format(*["-" * w for w in widths]).rstrip()] + [fmt.format(*r).rstrip() for r in rows]


def explain_slo(slo: ResolvedSLO) -> list[str]:
    budget = float(slo.budget)
    period_min = slo.period_seconds / 60
    lines = [
        f"SLO {slo.name} ({slo.category}): {slo.objective_text}% {slo.sli.phrase}, over {slo.period}",
        f"  error budget: {format_number(round(budget * 100, 6))}% of requests"
        f" = {_minutes(budget * period_min)} of full outage per {slo.period}",
    ]
    spans = [f"{w} {_minutes(budget * parse_seconds(w) / 60)}" for w in slo.windows if w != slo.period]
    lines.append(f"  full outage the budget allows per window: {', '.join(spans)}")
    rows = []
    for pair in slo.pairs:
        detect = outage_detection_minutes(slo, pair)
        rows.append(
            [
                pair.severity,
                pair.tier,
                f"{pair.long}/{pair.short}",
                f"{format_number(round(float(pair.factor), 4))}x",
                f"{format_number(round(float(pair.factor * slo.budget) * 100, 4))}%",
                f"{format_number(round(float(pair.budget_percent), 2))}%",
                _minutes(detect),
                f"{detect / (budget * period_min) * 100:.2f}%",
            ]
        )
    lines.append("")
    header = ["severity", "tier", "long/short", "factor", "bad share above", "budget spent when it fires", "detects 100% outage in", "budget spent by then"]
    lines += ["  " + line for line in _table(header, rows)]
    lines += _very_fast(slo)
    lines.append("  one alert per severity and incident: the first pair to fire holds it while any pair of that severity burns")
    lines.append(f"  guard: no burn alert until the long window holds {slo.min_events} bad events")
    lines += [f"  reads {role}: {selector}" for role, selector in _reads(slo)]
    lines.append(f"  no-data: {slo.nodata_alert} after {slo.nodata_for} without {slo.sli.total.metric}")
    return lines + _groups(slo)


GROUP_RATES = (0.1, 0.5, 1, 2, 5, 30)  # requests per minute of one group


def group_page_minutes(slo: ResolvedSLO, rate: float) -> tuple[float, str] | None:
    """(about how many minutes, which pair) until a group taking `rate` requests per minute and failing
    every one of them pages: the pair's own detection time, or the time its long window needs to hold
    min_events bad events of the group, whichever is later; None when no page pair can ever hold them."""
    best = None
    for pair in slo.pairs_of(conv.SEVERITY_PAGE):
        if rate * pair.long_seconds / 60 < slo.min_events:
            continue  # the long window never holds min_events of this group's requests
        minutes = max(outage_detection_minutes(slo, pair), math.ceil(slo.min_events / rate) if slo.min_events else 0)
        if best is None or minutes < best[0]:
            best = (minutes, f"{pair.long}/{pair.short}")
    return best


def _groups(slo: ResolvedSLO) -> list[str]:
    """The per-group math of a grouped SLO: what a group's total failure takes to page at its own traffic."""
    if not slo.group_by:
        return []
    what = " and ".join(slo.group_labels)
    lines = [
        f"  per {what}: {slo.group_alert}, labelled with the {what}; the same pairs and thresholds as above on each {what}'s requests alone "
        f"(recorded as {conv.LEVEL_GROUP}:*), one alert per severity and {what}",
        f"  per-{what} guard: the long window must hold {slo.min_events} bad events of that {what}, so a quiet {what} needs "
        + ", ".join(f"{format_number(round(slo.min_events / (p.long_seconds / 60), 3))} req/min for {p.long}/{p.short}" for p in slo.pairs_of(conv.SEVERITY_PAGE))
        + " before its page can fire",
    ]
    rows = []
    for rate in GROUP_RATES:
        paged = group_page_minutes(slo, rate)
        rows.append([
            f"{format_number(rate)} req/min",
            f"{format_number(rate)}%", f"{format_number(rate / 10)}%",
            f"{_minutes(paged[0])} ({paged[1]})" if paged else "never: under the guard of every page pair",
        ])
    header = [f"{what}'s traffic", "share of 100 req/min", "share of 1,000 req/min", f"a {what} failing every request pages in about"]
    lines += ["  " + line for line in _table(header, rows)]
    fast = [r for r in GROUP_RATES if (p := group_page_minutes(slo, r)) is not None and p[0] <= 5]
    if fast:
        lines.append(f"  a {what}'s total failure pages within 5 min from {format_number(fast[0])} req/min of its own traffic, whatever its share of the service")
    lines.append(
        f"  no per-{what} no-data alert: a {what} that stops is traffic moving (a model retired, a feature switched off); "
        f"{slo.nodata_alert} still watches the metric as a whole"
    )
    lines.append(f"  Alertmanager: while {slo.burn_alert} fires, its per-{what} alerts of the same or lower severity are held back")
    return lines


def _very_fast(slo: ResolvedSLO) -> list[str]:
    """Why the very-fast pair exists, or why this SLO has none."""
    rule = win.catalogs()[slo.period_seconds].very_fast
    pages = slo.pairs_of(conv.SEVERITY_PAGE)
    very_fast = next((p for p in pages if p.tier == conv.TIER_VERY_FAST), None)
    if rule is None or not pages:
        return []
    if very_fast is None:
        return [f"  very-fast tier: none, the {pages[0].long}/{pages[0].short} pair already pages a total outage in {_minutes(outage_detection_minutes(slo, pages[0]))}"]
    workbook = next((p for p in pages if p.tier != conv.TIER_VERY_FAST), None)
    slower = f"; {workbook.long}/{workbook.short} alone would take {_minutes(outage_detection_minutes(slo, workbook))}" if workbook else ""
    return [
        f"  very-fast tier: {very_fast.long}/{very_fast.short} pages a total outage in {_minutes(outage_detection_minutes(slo, very_fast))}{slower}; "
        f"its threshold is never below {_pct(rule.min_bad_share)}% bad events, so short blips and single failures stay quiet"
    ]


def _reads(slo: ResolvedSLO) -> list[tuple[str, str]]:
    """The exporter's raw series behind the SLI, as the first recording layer selects them."""
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        return [("failed", str(sli.bad)), ("valid", str(sli.total))]
    assert isinstance(sli, HistogramSLI)
    return [("good", str(sli.good)), ("valid", str(sli.total))]


def _pct(share: object) -> str:
    return format_number(float(share * 100))  # type: ignore[operator]


def explain_rate_limits(rl: ResolvedRateLimits) -> list[str]:
    pct = _pct
    return [
        "Rate limits (category ratelimit), per model and dimension, from the anthropic-ratelimit-* gauges:",
        f"  warning when more than {pct(rl.warning)}% of a limit is used for {rl.warning_for}; critical above {pct(rl.critical)}% for {rl.critical_for}",
        f"  warning when 429s exceed {format_number(rl.throttled_per_second)}/s for one model for {rl.throttled_for}",
        f"  warning when the remaining-gauge has not moved for {rl.stale_after} while requests flow",
    ]


def explain_cost(cost: ResolvedCost) -> list[str]:
    month = format_number(cost.monthly_usd)
    lines = [
        f"Cost (category cost): ${month} per 30 days = ${cost.pace * 3600:.4f} per hour at budget pace"
        + (", from the exporter's USD counter" if cost.cost_counter is not None else f", from tokens x {len({m for m, _, _ in cost.prices})} priced models"),
    ]
    for pair in cost.pairs:
        lines.append(
            f"  {pair.severity:<8} when spend over {pair.long} and {pair.short} exceeds {format_number(float(pair.factor))}x the pace "
            f"(${float(pair.factor) * cost.pace * 3600:.2f}/h): {format_number(float(pair.budget_percent))}% of the month's budget in {pair.long}"
        )
    lines.append(f"  warning  when the last day's pace puts 30 days above {_pct(cost.max_overspend)}% of the budget (${float(cost.max_overspend) * cost.monthly_usd:g})")
    if cost.per_request_usd is not None:
        lines.append(f"  warning  when a request costs more than ${format_number(cost.per_request_usd)} on average over 1h")
    lines.append(f"  warning  when spend over 15m runs above {format_number(cost.anomaly_factor)}x its 1-day average")
    if cost.cost_counter is None:
        lines.append("  info     when tokens arrive from a model without a price (priced at the default meanwhile)")
    for a in cost.allocations:
        lines.append(
            f"  allocation {a.name} ({', '.join(a.features)}): ${format_number(a.monthly_usd)} per 30 days, the same burn-rate pairs "
            f"on its pace (${a.pace * 3600:.4f}/h), forecast line {_pct(a.max_overspend)}%"
            + (f", labels {', '.join(f'{k}={v}' for k, v in a.labels.items())}" if a.labels else "")
        )
    return lines


def explain_thresholds(t: ResolvedThresholds) -> list[str]:
    lines = ["Fixed thresholds:"]
    if t.ttft_bucket is not None:
        for severity, seconds, hold in t.ttft_lines:
            lines.append(f"  {severity:<8} (latency) when p95 time to first token stays above {format_number(seconds)}s for {hold}")
    if t.burst is not None:
        _, _, share, hold = t.burst
        lines.append(f"  warning  (availability) when more than {_pct(share)}% of requests fail over 2m for {hold} (and at least {MIN_FAILURES} failed)")
    if t.server_errors is not None:
        _, _, share, hold = t.server_errors
        lines.append(f"  warning  (availability) when 5xx/529 answers exceed {_pct(share)}% over both 15m and 5m for {hold}")
    if t.truncated is not None:
        lines.append(f"  warning  (quality) when more than {_pct(t.truncation_share)}% of responses over 1h stop at max_tokens")
    if t.cache is not None:
        steady, collapsed = t.cache
        lines.append(
            f"  warning  (cost) when a feature's cache-read share of prompt tokens falls below {_pct(collapsed)}% over 30m "
            f"after a day with a median above {_pct(steady)}%, for 15m"
        )
    if t.duration_sum is not None:
        lines.append(
            f"  warning  (latency) when a model's output tokens per second over 30m fall more than {_pct(t.speed_drop)}% below "
            f"its median of the last day, for 15m, while under {conv.SPEED_MAX_FAILED}% of its requests fail"
        )
    return lines if len(lines) > 1 else []


def _storm_minutes(share: object, window: str, hold: str) -> str:
    """Minutes from every request failing that way to firing: the window's share passes the line, then the hold."""
    return _minutes((float(share) * parse_seconds(window) + parse_seconds(hold)) / 60)  # type: ignore[arg-type]


def explain_failures(f: ResolvedFailures) -> list[str]:
    lines = ["Failure modes (read the raw counters, whatever the SLOs exclude):"]
    for a, what in ((f.credentials, "requests answered 401 or 403 (the key or workspace)"), (f.not_found, "a model's requests answered 404 (its id)")):
        if a is not None:
            lines.append(
                f"  critical (availability) when more than {_pct(a.share)}% of {what} over {SHORT} for {a.hold} (and at least "
                f"{a.min_events}): every request failing so pages in {_storm_minutes(a.share, SHORT, a.hold)}"
            )
    if (s := f.client_errors) is not None:
        watched = ", ".join(s.watched)
        lines += [
            f"  warning  (availability) when answers {watched} exceed {_pct(s.alert.share)}% over {SURGE} and rise more than "
            f"{_pct(s.above_baseline)} points above their 1-day median, for {s.alert.hold} (and at least {s.alert.min_events})",
            f"  critical (availability) when they exceed {_pct(s.critical)}% over {SURGE_FAST} for {s.critical_for}: every request "
            f"failing so pages in {_storm_minutes(s.critical, SURGE_FAST, s.critical_for)}",
        ]
    if (u := f.upstream) is not None:
        lines.append(
            f"  warning  (availability) when more than {_pct(u.share)}% of HTTP attempts fail (5xx, 529, timeouts) over both "
            f"{UPSTREAM} and {UPSTREAM_SHORT}, for {u.hold} (and at least {u.min_events}), though retries still answer"
        )
    return lines if len(lines) > 1 else []


def explain(service: ResolvedService) -> str:
    lines = [f"service {service.name}: {len(service.slos)} SLO(s)", ""]
    for slo in service.slos:
        lines += explain_slo(slo) + [""]
    if service.cost is not None:
        lines += explain_cost(service.cost) + [""]
    if service.rate_limits is not None:
        lines += explain_rate_limits(service.rate_limits) + [""]
    lines += explain_thresholds(service.thresholds) + [""]
    if service.failures is not None:
        lines += explain_failures(service.failures) + [""]
    lines += [f"warning: {w}" for w in service.warnings]
    return "\n".join(lines).rstrip() + "\n"
