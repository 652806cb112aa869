"""The five views of a service: what each shows, as panels on a board. No JSON here."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.compile.sli_rules import recording_selector
from generator.dashboards.panels import Board, Line, Query, choice, dial, graph, legend, listing, single
from generator.dashboards.queries import RATE, Queries, per
from generator.durations import format_number, parse_seconds

WARN, CRIT = "orange", "red"
PERCENTILES = (0.5, 0.95, 0.99)
MONTH = 30 * 86400


def overview(qs: Queries) -> Board:
    b = Board()
    b.row("Traffic and errors")
    b.add(graph("Request rate", "Finished requests per second, by model.", Query(qs.rate(qs.raw("requests"), qs.label("model")), legend(qs.label("model"))), unit="reqps"), 12)
    classes = [
        Query(per(qs.rate(qs.raw("requests", qs.status(op, value))), qs.requests_rate()), name)
        for name, op, value in qs.service.profile.outcome.classes
    ]
    b.add(graph("Requests by status class", "Share of requests by outcome: 2xx, client errors, 429 rate limits, 5xx/529 server errors, timeouts.", *classes, unit="percentunit", stack=True), 12)
    t = qs.service.thresholds
    if qs.has(conv.ERROR_SHARE_2M) and t.burst is not None:
        b.add(single("Failed requests (2m)", "Share of failed requests over 2m; the ErrorBurst line.", Query(str(qs.rec(conv.ERROR_SHARE_2M))), "percentunit", (Line(float(t.burst[2]), WARN),)), 6, 6)
    if qs.has(conv.server_error_share("15m")) and t.server_errors is not None:
        b.add(single("Server errors (15m)", "Share answered 5xx or 529 over 15m; the ServerErrorsSustained line.", Query(str(qs.rec(conv.server_error_share("15m")))), "percentunit", (Line(float(t.server_errors[2]), WARN),)), 6, 6)
    b.row("Latency")
    if qs.has(conv.TTFT_P95):
        lines = tuple(Line(seconds, WARN if severity == conv.SEVERITY_TICKET else CRIT) for severity, seconds, _ in sorted(t.ttft_lines, key=lambda x: x[1]))
        b.add(single("p95 time to first token", "All models, from the recording the TtftP95High alert reads.", Query(str(qs.rec(conv.TTFT_P95))), "s", lines), 6)
    for signal, title in (("ttft", "Time to first token"), ("duration", "Total latency")):
        if not qs.service.profile.has(signal):
            continue
        b.add(graph(f"{title} p50 / p95 / p99", f"{title} percentiles from the histogram; exemplar dots link to the trace of a call.", *(Query(qs.quantile(signal, p), f"p{format_number(p * 100)}", exemplar=True) for p in PERCENTILES), unit="s"), 9)
    if qs.has(conv.OUTPUT_SPEED_5M):
        speed = Query(str(qs.rec(conv.OUTPUT_SPEED_5M)), legend(conv.LABEL_MODEL) if conv.LABEL_MODEL in qs.kept(conv.OUTPUT_SPEED_5M) else "all models")
    elif qs.service.profile.has("tokens") and qs.service.profile.has("duration"):
        speed = Query(f"{qs.tokens('output', conv.LABEL_MODEL)} / {qs.rate(qs.raw('duration', suffix='_sum'), qs.label('model', 'duration'))}", legend(conv.LABEL_MODEL))
    else:
        return b
    b.add(graph("Output tokens per second", "Output tokens per second of request time, by model.", speed), 24)
    return b


def cost(qs: Queries) -> Board:
    c = qs.service.cost
    assert c is not None
    month, over = c.monthly_usd, c.monthly_usd * float(c.max_overspend)
    spend = lambda w: qs.rec(conv.spend_rate(w))  # noqa: E731
    b = Board()
    b.row("Spend")
    b.add(single("Spend, last 24h", "USD spent over the last day.", Query(f"{spend('1d')} * 86400"), "currencyUSD"), 6, 6)
    b.add(single("Projected 30-day spend", f"The last day's pace over 30 days; budget ${format_number(month)}.", Query(f"{spend('1d')} * {MONTH}"), "currencyUSD", (Line(month, WARN), Line(over, CRIT))), 6, 6)
    b.add(single("Cost per request (1h)", "Average USD per request over the last hour.", Query(f"{spend('1h')} / {qs.rec(conv.requests_rate('1h'))}"), "currencyUSD", (Line(c.per_request_usd, WARN),) if c.per_request_usd else ()), 6, 6)
    b.add(single("Spend pace (1h)", "Spend over the last hour against the pace that uses the budget in 30 days: 1 is on budget.", Query(f"{spend('1h')} / {format_number(c.pace)}"), "short", (Line(1, WARN), Line(14.4, CRIT))), 6, 6)
    for label in (conv.LABEL_MODEL, conv.LABEL_FEATURE):
        title = f"Spend by {label}"
        if label not in qs.kept(conv.COST_RATE):
            # Split by a label the spend lacks, the panel would draw the total under an empty name.
            signal = "cost" if c.cost_counter is not None else "tokens"
            b.leave_out(title, f"profile {qs.service.profile.name} has no {label} label on its {signal} series; "
                        f"set metrics.labels.{label} to the exporter's label that holds it")
            continue
        by = Query(f"sum by ({label}) ({qs.rec(conv.COST_RATE)}) * 3600", legend(label))
        b.add(graph(title, f"USD per hour, by {label}.", by, unit="currencyUSD", stack=True), 12)
    b.row("Against the budget")
    b.add(graph("Projected daily spend", f"Last hour's and last day's pace over 24h; the line is the daily share of ${format_number(month)}.", Query(f"{spend('1h')} * 86400", "last hour's pace"), Query(f"{spend('1d')} * 86400", "last day's pace"), unit="currencyUSD", lines=(Line(month / 30, WARN),)), 12)
    b.add(graph("Projected 30-day spend", f"Budget ${format_number(month)} (orange) and the overspend line ${format_number(over)} (red).", Query(f"{spend('1d')} * {MONTH}", "30 days at the last day's pace"), unit="currencyUSD", lines=(Line(month, WARN), Line(over, CRIT))), 12)
    b.add(graph("Cost per request", "Average USD per request over the last hour.", Query(f"{spend('1h')} / {qs.rec(conv.requests_rate('1h'))}", "per request"), unit="currencyUSD", lines=(Line(c.per_request_usd, WARN),) if c.per_request_usd else ()), 12)
    if c.allocations:
        b.add(graph("Allocations: projected 30-day spend", "Each allocation's last-day pace over 30 days.", Query(f"{qs.rec(conv.budget_spend_rate('1d'))} * {MONTH}", legend(conv.LABEL_BUDGET)), unit="currencyUSD"), 12)
    return b


def tokens(qs: Queries) -> Board:
    b = Board()
    t = qs.service.thresholds
    b.row("Tokens")
    requests = qs.requests_rate()
    if qs.has(conv.TOKENS_RATE):
        per_type = lambda kind: f"sum({qs.rec(conv.TOKENS_RATE, q.Matcher(conv.LABEL_TOKEN_TYPE, '=', kind))})"  # noqa: E731
    elif qs.service.profile.has("tokens"):
        per_type = lambda kind: qs.tokens(kind)  # noqa: E731
    else:
        return b
    kinds = ("input", "output", "cache_read", "cache_write") if t.counts_cache_reads else ("input", "output")
    if not t.counts_cache_reads:
        why = qs.service.profile.missing.get("cache_reads", "its tokens have no cache types")
        b.leave_out("Tokens per request: cache_read, cache_write", f"profile {qs.service.profile.name} cannot count cache tokens apart ({why})")
    b.add(graph("Tokens per request", "Tokens of each type per finished request.", *(Query(per(per_type(k), requests), k) for k in kinds)), 12)
    b.add(graph("Output / input ratio", "Output tokens per input token.", Query(f"{per_type('output')} / {per_type('input')}", "output/input")), 12)
    if qs.has(conv.CACHE_READ_SHARE_30M) and t.cache is not None:
        steady, collapsed = t.cache
        by_feature = conv.LABEL_FEATURE in qs.kept(conv.CACHE_READ_SHARE_30M)
        share = Query(str(qs.rec(conv.CACHE_READ_SHARE_30M)), legend(conv.LABEL_FEATURE) if by_feature else "all features")
        where = "By feature; " if by_feature else ""
        b.add(graph("Cache-read share of prompt tokens (30m)", f"{where}CacheReadsCollapsed warns below the red line where it was steady.", share, unit="percentunit", lines=(Line(float(collapsed), CRIT), Line(float(steady), "green"))), 12)
    elif t.counts_cache_reads:
        by_feature = qs.splits("tokens", conv.LABEL_FEATURE)
        share = f"{qs.tokens('cache_read', conv.LABEL_FEATURE)} / {qs.tokens('', conv.LABEL_FEATURE, t.prompt)}"
        b.add(graph("Cache-read share of prompt tokens", "By feature." if by_feature else "All features.", Query(share, legend(qs.label(conv.LABEL_FEATURE, "tokens")) if by_feature else "all features"), unit="percentunit"), 12)
    if t.responses is None and not (qs.service.profile.has("responses") and qs.label("stop_reason", "responses")):
        return b
    stop = qs.service.profile.signals["responses"].values.get("max_tokens", "max_tokens")
    cut = qs.raw("responses", q.Matcher(qs.label("stop_reason", "responses"), "=", stop))
    feature = qs.label("feature", "responses")
    truncated = [Query(per(qs.rate(cut, feature), qs.rate(qs.raw("responses"), feature)), legend(feature) or "all features")]
    lines: tuple[Line, ...] = ()
    if qs.has(conv.TRUNCATED_SHARE_1H):
        truncated.append(Query(str(qs.rec(conv.TRUNCATED_SHARE_1H)), "all features, 1h (alert)"))
        lines = (Line(float(t.truncation_share), WARN),)
    b.add(graph("max_tokens truncations", "Share of responses that stopped at max_tokens.", *truncated, unit="percentunit", lines=lines), 12)
    return b


def ratelimits(qs: Queries) -> Board:
    rl = qs.service.rate_limits
    assert rl is not None
    lines = (Line(float(rl.warning), WARN), Line(float(rl.critical), CRIT))
    used = Query(str(qs.rec(conv.RATELIMIT_UTILISATION)), legend(conv.LABEL_MODEL, conv.LABEL_DIMENSION))
    b = Board()
    b.row("Headroom")
    b.add(dial("Utilisation now", "1 - remaining/limit per model and dimension.", used, lines), 24, 7)
    b.add(graph("Utilisation", "Per model and dimension, with the warning and critical lines.", used, unit="percentunit", lines=lines), 12)
    # No 429 yet records nothing: the panel reads 0 then, not No data.
    throttled = Query(f"{qs.rec(conv.THROTTLED_RATE)} or on () vector(0)", legend(conv.LABEL_MODEL))
    b.add(graph("429 responses per second", "Requests refused by the provider's rate limits.", throttled, unit="reqps", lines=(Line(rl.throttled_per_second, WARN),)), 12)
    model, dimension = qs.label("model", "ratelimit_remaining"), qs.label("dimension", "ratelimit_remaining")
    by = f"{model}, {dimension}"
    remaining = qs.raw("ratelimit_remaining")
    # The gauges only move when a response carries the headers; a gauge that stopped moving is stale.
    since = f"time() - max by ({by}) (max_over_time(timestamp(changes({remaining}[2m]) > 0)[6h:1m]))"
    b.add(graph("Seconds since the remaining-gauge last changed", f"RateLimitGaugeStale warns after {rl.stale_after} while requests flow.", Query(since, legend(model, dimension)), unit="s"), 24)
    return b


def slos(qs: Queries) -> Board:
    if len(qs.service.slos) > conv.DASHBOARD_SLO_ROWS:
        return _slos_repeated(qs)
    b = Board()
    for slo in qs.service.slos:
        sel = lambda metric, s=slo: recording_selector(metric, s)  # noqa: E731
        budget = format_number(float(slo.budget))
        b.row(f"{slo.name}: {slo.objective_text}% {slo.sli.phrase} over {slo.period}")
        windows = [w for w in slo.windows if w != slo.period]
        firing = q.Selector(conv.ALERTS, (q.Matcher(conv.LABEL_SERVICE, "=", slo.service), q.Matcher(conv.LABEL_SLO, "=", slo.name), q.Matcher(conv.LABEL_ALERTSTATE, "=", conv.STATE_FIRING)))
        _slo_panels(
            b, sel, Query(f"1 - {sel(conv.sli_error_ratio(slo.period))}", slo.period), slo.period,
            [Query(f"{sel(conv.sli_error_ratio(w))} / {budget}", w) for w in windows], sorted({float(p.factor) for p in slo.pairs}), firing,
        )
        if slo.group_by:
            _group_panel(b, slo, sel, budget)
    return b


def _group_panel(b: Board, slo, sel, budget: str) -> None:  # noqa: ANN001
    """A grouped SLO's burn rate per group, over the windows of its fastest page pairs: the group that pages stands out."""
    what = " and ".join(slo.group_labels)
    pages = slo.pairs_of(conv.SEVERITY_PAGE)
    windows = sorted({p.long for p in pages[:2]}, key=parse_seconds) or ["5m"]
    factors = sorted({float(p.factor) for p in pages[:2]})
    burn = [Query(f"{sel(conv.sli_error_ratio(w, grouped=True))} / {budget}", f"{legend(*slo.group_labels)} {w}") for w in windows]
    b.add(
        graph(f"Burn rate per {what}", f"Each {what}'s error ratio divided by the budget ({slo.group_alert} pages above the lines).", *burn,
              lines=tuple(Line(f, CRIT) for f in factors)),
        24,
    )


def _slo_panels(b: Board, sel, period_sli: Query, period: str, burn: list[Query], factors: list[float], firing: q.Selector) -> None:  # noqa: ANN001
    """The five panels of one SLO's row, whether the row names one SLO or repeats over the `slo` variable."""
    b.add(graph("SLI against the objective", "Share of good events over 5m and over the period; the objective as a line.", Query(f"1 - {sel(conv.sli_error_ratio('5m'))}", "5m"), period_sli, Query(str(sel(conv.OBJECTIVE)), "objective"), unit="percentunit"), 9)
    b.add(single("Error budget remaining", f"Share of the {period} error budget not yet spent.", Query(str(sel(conv.BUDGET_REMAINING))), "percentunit", (Line(0.25, "green"),), base=CRIT), 5)
    b.add(graph("Burn rate per alert window", "Error ratio over each alert window divided by the budget; 1 spends the budget exactly over the period.", *burn, lines=tuple(Line(f, CRIT if f == factors[-1] else WARN) for f in factors[-1:] + factors[:1])), 10)
    b.add(listing("Firing alerts", "Alerts of this SLO firing now.", Query(str(firing))), 12, 6)
    b.add(graph("Budget burndown", f"Error budget left over the rolling {period}; below 0 the objective is missed.", Query(str(sel(conv.BUDGET_REMAINING)), "remaining"), unit="percentunit", lines=(Line(0, CRIT),)), 12, 6)

VIEWS = {
    "overview": ("Overview", overview),
    "slos": ("SLOs", slos),
    "cost": ("Cost", cost),
    "tokens": ("Tokens", tokens),
    "ratelimits": ("Rate limits", ratelimits),
}


__all__ = ["RATE", "VIEWS"]


def _slos_repeated(qs: Queries) -> Board:
    """Past a few dozen SLOs a row each is a dashboard nobody scrolls (100 MB at 10,000): one row, repeated by
    Grafana for each SLO chosen in the `slo` variable, reading every number from the SLO's own recordings."""
    service = qs.service
    own = (q.Matcher(conv.LABEL_SERVICE, "=", service.name), q.Matcher(conv.LABEL_SLO, "=~", f"${conv.LABEL_SLO}"))

    def sel(metric: str) -> q.Selector:
        return q.Selector(metric, own)

    budget = sel(conv.ERROR_BUDGET)
    slo_names = f"label_values({q.Selector(conv.OBJECTIVE, own[:1])}, {conv.LABEL_SLO})"
    b = Board(variables=[choice(conv.LABEL_SLO, "SLO", slo_names)])
    b.row(f"${conv.LABEL_SLO}", repeat=conv.LABEL_SLO)
    windows = sorted({w for s in service.slos for w in s.windows if w != s.period}, key=parse_seconds)
    _slo_panels(
        b, sel, Query(f"1 - {sel(conv.PERIOD_BURN_RATE)} * {conv.ON_IDENTITY} {budget}", "period"), "period",
        [Query(f"{sel(conv.sli_error_ratio(w))} / {conv.ON_IDENTITY} {budget}", w) for w in windows],
        sorted({float(p.factor) for s in service.slos for p in s.pairs}), q.Selector(conv.ALERTS, (*own, q.Matcher(conv.LABEL_ALERTSTATE, "=", conv.STATE_FIRING))),
    )
    return b
