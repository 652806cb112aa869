"""Per-stage tests on the IR: which rules exist, what they read, which labels they carry."""

import pytest

from generator import conventions as conv
from generator import promql as q
from generator.compile import alert_rules, meta_rules, sli_rules
from generator.resolve import ResolveError, resolve
from generator.spec.models import Spec


def service(**over):
    data = {
        "version": 1,
        "service": "svc",
        "labels": {"team": "ai"},
        "slos": [
            {"name": "avail", "objective": 99.5, "sli": {"availability": {"exclude_status": ["404", "400"]}}},
            {"name": "ttft", "objective": 95, "sli": {"latency": {"signal": "ttft", "threshold": "3s"}}},
        ],
        **over,
    }
    return resolve(Spec.model_validate(data))


def slo(name="avail", **over):
    return next(s for s in service(**over).slos if s.name == name)


def test_availability_counts_non_2xx_as_bad_and_drops_excluded_codes_from_both_sides():
    s = slo()
    assert str(s.sli.total) == 'claude_api_requests_total{status_code!~"400|404"}'
    assert str(s.sli.bad) == 'claude_api_requests_total{status_code!~"400|404", status_code!~"2.."}'


def test_latency_reads_the_threshold_bucket_in_both_le_spellings():
    s = slo("ttft")
    assert str(s.sli.good) == 'claude_api_ttft_seconds_bucket{le=~"3(\\\\.0)?"}'
    assert str(s.sli.total) == "claude_api_ttft_seconds_count"


@pytest.mark.parametrize(("bound", "pattern"), [(3, r"3(\.0)?"), (0.25, r"0\.25"), (120, r"120(\.0)?")])
def test_le_pattern(bound, pattern):
    assert q.le_pattern(bound) == pattern


def test_windows_to_an_hour_read_raw_series_longer_ones_compose_recorded_pieces():
    rules = {r.record: r.expr for r in sli_rules.build(slo())}
    for window in ("2m", "5m", "30m", "1h"):
        assert "claude_api_requests_total" in rules[conv.sli_error_rate(window)]
    pieces = {"2h": ("1h", 2), "6h": ("2h", 3), "1d": ("6h", 4), "3d": ("1d", 3), "30d": ("3d", 10)}
    for window, (piece, n) in pieces.items():
        expr = rules[conv.sli_error_rate(window)]
        assert "claude_api" not in expr and "claude_api" not in rules[conv.sli_total_rate(window)]
        assert expr.endswith(f") / {n}") and expr.count(f"{conv.sli_error_rate(piece)}{{") == 1 + 2 * (n - 1)
    # consecutive pieces ending now, one missing before the data began counts as zero
    assert rules[conv.sli_error_rate("2h")].splitlines() == [
        "(",
        'slo:sli_error:rate1h{slo="avail", service="svc"}',
        '+ (slo:sli_error:rate1h{slo="avail", service="svc"} offset 1h or 0 * slo:sli_error:rate1h{slo="avail", service="svc"})',
        ") / 2",
    ]
    assert "offset 27d or" in rules[conv.sli_error_rate("30d")]
    # traffic-weighted: the ratio divides averaged rates, and never by zero
    assert rules[conv.sli_error_ratio("3d")] == (
        'slo:sli_error:rate3d{slo="avail", service="svc"} / clamp_min(slo:sli_total:rate3d{slo="avail", service="svc"}, 1e-12)'
    )


def test_missing_error_series_reads_as_zero_not_as_no_data():
    expr = sli_rules.raw_error_rate(slo().sli, "5m")
    assert expr.endswith('or 0 * sum(rate(claude_api_requests_total{status_code!~"400|404"}[5m]))')


def test_meta_rules_carry_exact_numbers():
    rules = {r.record: r.expr for r in meta_rules.build(slo())}
    assert rules[conv.OBJECTIVE] == "vector(0.995)"
    assert rules[conv.ERROR_BUDGET] == "vector(0.005)"
    assert rules[conv.PERIOD_DAYS] == "vector(30)"
    assert rules[conv.BUDGET_REMAINING] == '1 - slo:sli_error:ratio_rate30d{slo="avail", service="svc"} / 0.005'


def test_one_burn_alert_per_window_pair_with_tier_and_pair_labels():
    alerts = [a for a in alert_rules.build(slo()) if a.alert == conv.burn_alert("svc", "avail")]
    assert [(a.labels["severity"], a.labels["burnrate_tier"], a.labels["long_window"], a.labels["short_window"]) for a in alerts] == [
        ("critical", "very-fast", "5m", "2m"), ("critical", "fast", "1h", "5m"), ("critical", "slow", "6h", "30m"),
        ("warning", "fast", "1d", "2h"), ("warning", "slow", "3d", "6h"),
    ]
    page = alerts[1]
    assert page.labels | {} == {
        "team": "ai", "severity": "critical", "category": "availability", "slo": "avail", "service": "svc",
        "long_window": "1h", "short_window": "5m", "burnrate_tier": "fast",
    }
    assert alert_rules.burn_expr(slo(), slo().pairs[1]).splitlines() == [
        'slo:sli_error:ratio_rate1h{slo="avail", service="svc"} / 0.005 > 14.4',
        "and",
        'slo:sli_error:ratio_rate5m{slo="avail", service="svc"} / 0.005 > 14.4',
        "and",
        'slo:sli_error:rate1h{slo="avail", service="svc"} * 3600 >= 5',
    ]
    assert alert_rules.burn_expr(slo(), slo().pairs[4]).endswith('slo:sli_error:rate3d{slo="avail", service="svc"} * 259200 >= 5')
    assert page.annotations["runbook_url"] == "runbooks/SvcAvailErrorBudgetBurn.md"


def test_one_incident_raises_one_alert_per_severity():
    """The latch: a pair starts only while no faster pair burns and no other pair of its severity fires,
    then holds while any pair of the severity burns."""
    s = slo()
    alerts = [a for a in alert_rules.build(s) if a.alert == conv.burn_alert("svc", "avail")]
    fast = alerts[1].expr
    very_fast = alert_rules.burn_expr(s, s.pairs[0])
    assert f"unless on(slo, service)\n(\n{very_fast}\n)\nunless on(slo, service)" in fast
    assert 'severity="critical", slo="avail", service="svc", burnrate_tier!="fast"}' in fast
    assert fast.endswith(
        'slo:critical_burn_condition:ratio{slo="avail", service="svc"}\nand on(slo, service)\n'
        'ALERTS{alertname="SvcAvailErrorBudgetBurn", alertstate="firing", severity="critical", slo="avail", service="svc", burnrate_tier="fast"}\n)'
    )
    recorded = {r.record: r.expr for r in alert_rules.conditions(s)}
    assert recorded[conv.burn_condition("critical")].count("\nor\n") == 2
    assert recorded[conv.burn_condition("warning")].count("\nor\n") == 1


def test_very_fast_tier_follows_the_objective_and_can_be_switched_off():
    def very_fast(objective, **alerting):
        s = slo(slos=[{"name": "avail", "objective": objective, "sli": {"availability": {}}, "alerting": alerting}])
        return next(((p.long, p.short, float(p.factor)) for p in s.pairs if p.tier == "very-fast"), None)

    assert very_fast(99.5) == ("5m", "2m", 40.0)  # 20% bad, the floor; 2m: four 30s scrapes
    assert very_fast(99) == ("5m", "2m", 34.56)  # 0.4% of the budget: 34.56% bad
    assert very_fast(95) == ("15m", "3m", 11.52)  # 5m would need more than 80% bad
    assert very_fast(99.9) is None  # 1h/5m already pages a total outage in 52 s
    assert very_fast(99.5, very_fast=False) is None


def test_nodata_alert_watches_the_sli_source():
    nodata = next(a for a in alert_rules.build(slo("ttft")) if a.alert == conv.nodata_alert("svc", "ttft"))
    assert nodata.expr == "absent(claude_api_ttft_seconds_count)"
    assert nodata.for_ == "5m"
    assert nodata.labels["category"] == "traffic"


def test_tiers_can_be_switched_off_and_the_guard_removed():
    s = slo(alerting={"ticket": False, "min_events": 0})
    alerts = [a for a in alert_rules.build(s) if "long_window" in a.labels]
    assert {a.labels["severity"] for a in alerts} == {"critical"}
    assert all(">=" not in a.expr for a in alerts)


def test_a_pair_that_could_never_fire_is_dropped_with_a_warning():
    svc = resolve(Spec.model_validate({
        "version": 1, "service": "s",
        "slos": [{"name": "p90", "objective": 90, "sli": {"latency": {"signal": "ttft", "threshold": "3s"}}}],
    }))
    assert [p.long for p in svc.slos[0].pairs] == ["30m", "6h", "1d", "3d"]  # the very-fast pair takes 1h/5m's place
    assert "could never fire" in svc.warnings[0]


def test_user_text_is_escaped_for_go_templates_and_promql():
    assert q.go_text("a {{ $labels.x }} b") == 'a {{ "{{" }} $labels.x }} b'
    assert q.string('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert q.regex_literal("4.9|x") == "4\\.9\\|x"


def test_metric_overrides_change_only_the_first_layer():
    s = slo(metrics={"signals": {"requests": {"metric": "my_llm_calls_total"}}, "labels": {"status": "code"}, "selector": {"job": "x"}})
    assert str(s.sli.total) == 'my_llm_calls_total{job="x", code!~"400|404"}'
    derived = {r.record: r.expr for r in sli_rules.build(s)}[conv.sli_error_rate("1d")]
    assert "my_llm_calls_total" not in derived


def test_bucket_threshold_error_names_valid_buckets_and_the_fix():
    with pytest.raises(ResolveError) as exc:
        service(slos=[{"name": "t", "objective": 95, "sli": {"latency": {"signal": "duration", "threshold": "3s"}}}])
    problem = exc.value.problems[0]
    assert problem.path == ("slos", 0, "sli", "latency", "threshold")
    assert "valid: 0.5, 1, 2, 5, 10, 15, 30, 60, 120" in problem.message
    assert "metrics.signals.duration.buckets" in problem.message


def test_rate_limit_rules_read_the_tightest_replica_and_canonical_labels():
    from generator.compile import ratelimit_rules

    rl = service().rate_limits
    assert ratelimit_rules.utilisation_expr(rl) == (
        "1 - min by (model, dimension) (claude_api_ratelimit_remaining) / max by (model, dimension) (claude_api_ratelimit_limit > 0)"
    )
    other = service(metrics={"labels": {"model": "llm_model"}}).rate_limits
    assert ratelimit_rules.utilisation_expr(other).startswith('label_replace(1 - min by (llm_model, dimension)')
    assert ', "model", "$1", "llm_model", "(.*)")' in ratelimit_rules.utilisation_expr(other)
    group = ratelimit_rules.build(rl)
    alerts = [r for r in group.rules if hasattr(r, "alert")]
    assert [(a.alert, a.labels["severity"], a.for_) for a in alerts] == [
        ("SvcRateLimitHeadroomLow", "warning", "5m"),
        ("SvcRateLimitHeadroomLow", "critical", "2m"),
        ("SvcRateLimited", "warning", "5m"),
        ("SvcRateLimitGaugeStale", "warning", None),
    ]
    assert alerts[0].expr == 'llm:ratelimit_utilisation:ratio{service="svc"} > 0.8'
    assert all(a.labels["category"] == "ratelimit" for a in alerts)
    assert service(budgets={"rate_limits": {"enabled": False}}).rate_limits is None


PRICING = {"as_of": "2026-06-01", "models": {"claude-sonnet-4-6": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}}}


def test_cost_is_tokens_times_price_with_a_default_for_unknown_models():
    from generator.compile import cost_rules

    cost = service(pricing=PRICING, budgets={"cost": {"monthly_usd": 5000}}).cost
    rules = {(r.record, r.labels.get("model"), r.labels.get("type")): r.expr for r in cost_rules.build(cost).rules if hasattr(r, "record")}
    assert rules[("llm:token_price:usd", "claude-sonnet-4-6", "output")] == "vector(1.5e-05)"
    assert rules[("llm:token_price_default:usd", None, "output")] == "vector(1.5e-05)"  # the highest listed price
    expr = rules[("llm:cost_usd:rate5m", None, None)]
    # A dated id is priced as the longest listed name it starts with: priced_as carries that name.
    assert 'label_replace(llm:tokens:rate5m{service="svc"}, "priced_as", "$1", "model", "(claude-sonnet-4-6).*")' in expr
    assert '* on (priced_as, type) group_left llm:token_price:usd{service="svc"}' in expr
    assert "unless on (priced_as)" in expr
    assert cost.pace == 5000 / (30 * 86400)


def test_spend_burns_like_an_error_budget():
    from generator.compile import cost_rules

    cost = service(pricing=PRICING, budgets={"cost": {"monthly_usd": 2592}}).cost  # pace: $0.001 per second
    burn = [r for r in cost_rules.build(cost).rules if getattr(r, "alert", "") == "SvcSpendBudgetBurn"]
    assert [(a.labels["severity"], a.labels["long_window"]) for a in burn] == [("critical", "1h"), ("critical", "6h"), ("warning", "1d"), ("warning", "3d")]
    assert burn[0].expr.splitlines()[0] == 'llm:spend_usd:rate1h{service="svc"} / 0.001 > 14.4'
    assert all(a.labels["category"] == "cost" for a in burn)


def test_cost_from_the_exporters_counter():
    from generator.compile import cost_rules

    cost = service(budgets={"cost": {"monthly_usd": 100, "source": "counter"}}).cost
    records = [r.record for r in cost_rules.build(cost).rules if hasattr(r, "record")]
    assert "llm:token_price:usd" not in records
    assert cost_rules.cost_rate_expr(cost) == "sum by (model, feature) (rate(claude_api_cost_usd_total[5m]))"


def test_threshold_alerts_follow_the_seeds_and_can_be_switched_off():
    from generator.compile import threshold_rules

    group = threshold_rules.build(service().thresholds)
    alerts = {(r.alert, r.labels["severity"]): (r.labels["category"], r.expr, r.for_) for r in group.rules if hasattr(r, "alert")}
    assert {k: (c, f) for k, (c, _, f) in alerts.items()} == {
        ("SvcTtftP95High", "warning"): ("latency", "5m"),
        ("SvcTtftP95High", "critical"): ("latency", "3m"),
        ("SvcErrorBurst", "warning"): ("availability", "5m"),
        ("SvcServerErrorsSustained", "warning"): ("availability", "10m"),
        ("SvcMaxTokensTruncations", "warning"): ("quality", "10m"),
        ("SvcCacheReadsCollapsed", "warning"): ("cost", "15m"),
        ("SvcOutputSpeedDegraded", "warning"): ("latency", "15m"),
    }
    exprs = {name: expr for (name, _), (_, expr, _) in alerts.items()}
    assert alerts[("SvcTtftP95High", "warning")][1] == 'llm:ttft_seconds:p95_rate5m{service="svc"} > 5'
    assert exprs["SvcErrorBurst"] == (
        'llm:request_errors:ratio_rate2m{service="svc"} > 0.05\nand on ()\n'
        'sum(rate(claude_api_requests_total{status_code!~"400|404", status_code!~"2.."}[2m])) * 120 >= 5'
    )
    assert exprs["SvcServerErrorsSustained"] == (
        'llm:server_errors:ratio_rate15m{service="svc"} > 0.01\nand on ()\nllm:server_errors:ratio_rate5m{service="svc"} > 0.01\n'
        'and on ()\nsum(rate(claude_api_requests_total{status_code=~"5.."}[15m])) * 900 >= 10'
    )
    assert exprs["SvcMaxTokensTruncations"] == 'llm:responses_truncated:ratio_rate1h{service="svc"} > 0.1'
    assert "< 0.01\nand\nquantile_over_time(0.5, llm:cache_read_share:ratio_rate30m{service=\"svc\"}[1d]) > 0.1" in exprs["SvcCacheReadsCollapsed"]
    assert exprs["SvcOutputSpeedDegraded"].startswith('llm:output_tokens_per_second:rate30m{service="svc"} < 0.5 * quantile_over_time(0.5, ')
    names = ("ttft_p95", "error_burst", "server_errors", "truncations", "cache_reads", "output_speed")
    off = {name: {"enabled": False} for name in names}
    assert threshold_rules.build(service(alerts=off).thresholds) is None
