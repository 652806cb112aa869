"""`slogen report` on logs nobody curated: any bytes give counted skips, never a traceback; strict JSON; memory that
does not grow with the log; percentiles within the sketch's documented error."""

import json
import math
import random
import tracemalloc
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from generator.cli import app
from generator.tools import report
from generator.tools.sketch import ALPHA, Quantiles

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


def call(i: int, **extra) -> dict:
    line = {"ts": f"2026-12-05T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z", "level": "INFO", "event": "llm_call",
            "request_id": f"req_{i:08d}", "model": "claude-sonnet-4-6", "feature": "chat", "input_tokens": 100, "output_tokens": 20,
            "cache_read_tokens": 0, "cache_write_tokens": 0, "stop_reason": "end_turn", "stream": False, "duration_ms": 100.0 + i % 900,
            "ttft_ms": None, "cost_usd": 0.0006, "status": "200", "attempts": 1, "error_type": ""}
    return {**line, **extra}


def test_hostile_lines_are_skipped_by_reason_and_json_stays_strict(tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"\n".join([
        json.dumps(call(1)).encode(),
        b"\xff\xfe\x00 not utf-8 " + json.dumps(call(2)).encode(),
        b'{"event": "llm_call", "x": ' + b"[" * 200_000,  # json's parser would recurse 200,000 times
        b"x" * (3 << 20),  # past MAX_LINE: dropped in bounded pieces
        json.dumps(call(3, cost_usd=1e308)).encode(),  # two of these would sum to inf
        json.dumps(call(4, cost_usd=1e308)).encode(),
        b'{"event": "llm_call", "status": "200", "duration_ms": Infinity}',
        b'{"event": "llm_call", "status": "200", "duration_ms": NaN}',
        json.dumps(call(5, duration_ms=-3)).encode(),
        json.dumps(call(6, input_tokens=1.5)).encode(),
        json.dumps(call(7, model=[[["nested"]]])).encode(),  # a name that is a structure: kept as "?", not str()'d
        b"2026-12-05 INFO some other logger",
        b"{not json",
        json.dumps(call(8)).encode(),
    ]) + b"\n")
    result = CliRunner().invoke(app, ["report", str(log), "--json"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    data = json.loads(result.output, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert data["total"]["calls"] == 3 and set(data["by_model"]) == {"claude-sonnet-4-6", "?"}
    assert data["skipped"] == {"bad_values": 6, "not_a_call": 1, "not_json": 1, "not_utf8": 1, "too_deep": 1, "too_long": 1}
    assert data["skipped_lines"] == 11
    table = CliRunner().invoke(app, ["report", str(log)])
    assert table.exit_code == 0 and "11 line(s) skipped" in table.output and "1 too deep" in table.output


def test_since_and_until_filter_on_ts_absolute_or_relative(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("".join(json.dumps(call(i * 600)) + "\n" for i in range(12)) + json.dumps({**call(0), "ts": "yesterday"}) + "\n")
    # ts from 00:00 to 01:50 every 10 minutes; the line without a usable ts counts only when no window is asked.
    everything = json.loads(report.run([log], as_json=True, now=NOW))
    assert everything["total"]["calls"] == 13
    window = json.loads(report.run([log], since="2026-12-05T00:30:00Z", until="2026-12-05T01:00:00+00:00", as_json=True, now=NOW))
    assert window["total"]["calls"] == 3 and window["outside_window"] == 9 and window["skipped"] == {"no_timestamp": 1}
    recent = json.loads(report.run([log], since="11h", as_json=True, now=NOW))  # 01:00 onward
    assert recent["total"]["calls"] == 6
    local = json.loads(report.run([log], since="2026-12-05T02:30:00+02:00", as_json=True, now=NOW))  # 00:30 UTC
    assert local["total"]["calls"] == 9
    for bad, fix in ((["--since", "yesterday"], "RFC 3339"), (["--until", "1y"], "duration back from now"),
                     (["--since", "1h", "--until", "2h"], "not before"), (["--by", "tenant"], "model, feature, user")):
        result = CliRunner().invoke(app, ["report", str(log), *bad])
        assert result.exit_code == 2 and fix in result.output and "Traceback" not in result.output


def test_usage_unknown_is_counted_apart_never_as_zero():
    lines = [json.dumps(call(1)), json.dumps(call(2, input_tokens=None, output_tokens=None, cache_read_tokens=None,
                                                    cache_write_tokens=None, cost_usd=None)), json.dumps(call(3, cost_usd=None))]
    total = report.summarise(lines)["total"]
    assert total["calls"] == 3 and total["usage_unknown_calls"] == 1 and total["cost_unknown_calls"] == 2
    assert total["tokens"]["input"] == 200 and total["spend_usd"] == 0.0006 and total["cost_per_request_usd"] == 0.0006


def test_top_n_is_the_exact_n_most_expensive_and_groups_are_capped():
    rng = random.Random(7)
    lines = [call(i, cost_usd=round(rng.random(), 6), user=f"u{i}") for i in range(5000)]
    data = report.summarise(map(json.dumps, lines), by=("user",), top=7)
    expected = sorted(lines, key=lambda c: -c["cost_usd"])[:7]
    assert [e["request_id"] for e in data["top_cost"]] == [c["request_id"] for c in expected]
    assert len(data["by_user"]) == report.MAX_GROUPS + 1 and data["by_user"]["(other)"]["calls"] == 5000 - report.MAX_GROUPS
    assert data["folded_into_other"] == {"user": 5000 - report.MAX_GROUPS}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=400), st.sampled_from([0.1, 1, 50, 95, 99, 99.9, 100]))
def test_sketch_percentiles_are_within_the_documented_relative_error(values, p):
    q = Quantiles()
    for v in values:
        q.add(v)
    exact = sorted(values)[max(0, math.ceil(p / 100 * len(values)) - 1)]
    got = q.percentile(p)
    assert abs(got - exact) <= ALPHA * exact + 1e-3  # values at or below a microsecond share one bucket
    assert q.maximum() == max(values)


def _write_log(path, n: int) -> None:
    """A realistic log, written a line at a time: distinct ids, many users and error types, random costs."""
    rng = random.Random(n)
    with path.open("w") as f:
        for i in range(n):
            failed = rng.random() < 0.05
            f.write(json.dumps(call(i, user=f"user-{rng.randrange(50_000)}", cost_usd=rng.random() / 100, duration_ms=rng.lognormvariate(6, 1),
                                    ttft_ms=rng.lognormvariate(5, 1), status="529" if failed else "200",
                                    error_type=f"Error{rng.randrange(300)}" if failed else "", error_message="overloaded " * 5 if failed else None)) + "\n")


def _peak(path) -> int:
    tracemalloc.start()
    try:
        report.run([path], by="user", top=20, as_json=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_log(tmp_path):
    small, large = tmp_path / "small.log", tmp_path / "large.log"
    _write_log(small, 10_000)
    _write_log(large, 50_000)
    peak_small, peak_large = _peak(small), _peak(large)
    slope = (peak_large - peak_small) / 40_000
    # Keeping the lines would cost their size and more (about 480 bytes a line here); the summary's growth after
    # its caps fill is the sketches' new buckets and the error types' tail, a few bytes a line at most.
    assert large.stat().st_size / 50_000 > 400
    print(f"peaks {peak_small} -> {peak_large} bytes, {slope:.2f} bytes per line")
    assert slope < 20, f"{slope:.1f} bytes per line (peaks {peak_small} -> {peak_large})"
    assert peak_large < 16 << 20, peak_large
