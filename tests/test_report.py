"""`slogen report` over logs slogen.instrument really wrote: the numbers are the fake API's, bad lines never a traceback."""

import json
import logging

import anthropic
from hypothesis import given, settings, strategies as st
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from generator.tools import report
from generator.cli import app
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen.instrument import instrument, pricing_from

SONNET = {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}


def test_a_day_of_logs_summarised_per_model_and_feature(tmp_path):
    log = tmp_path / "app.log"
    handler = logging.FileHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("slogen.instrument")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with FakeAnthropic(Behaviour(input_tokens=100, output_tokens=20, cache_read_tokens=300, pattern=(None, None, None, 529))) as api:
            for feature in ("chat", "search"):
                c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), feature=feature,
                               pricing=pricing_from("slo.yaml"), registry=CollectorRegistry())
                for i in range(20):
                    try:
                        if i % 2:
                            c.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
                        else:
                            for _ in c.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "hi"}], stream=True):
                                pass
                    except anthropic.OverloadedError:
                        pass
            served = list(api.served.requests)
    finally:
        logger.removeHandler(handler)
        handler.close()
    with log.open("a") as f:
        f.write("a line some other logger wrote\n{not json\n")

    result = CliRunner().invoke(app, ["report", str(log), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ok = [r for r in served if r["status"] == 200]
    total = data["total"]
    assert total["calls"] == len(served) == 40
    assert total["error_rate"] == (len(served) - len(ok)) / len(served)
    assert total["spend_usd"] == round(len(ok) * (100 * 3.0 + 20 * 15.0 + 300 * 0.3) / 1e6, 6)
    assert total["tokens"]["cache_read"] == 300 * len(ok) and total["cache_hit_share"] == 300 / 400
    assert set(data["by_feature"]) == {"chat", "search"} and data["by_feature"]["chat"]["calls"] == 20
    assert total["ttft_ms"]["p50"] is not None and total["latency_ms"]["p99"] >= total["latency_ms"]["p50"]
    assert data["skipped_lines"] == 2

    table = CliRunner().invoke(app, ["report", str(log)]).output
    assert "feature search" in table and "model claude-sonnet-4-6" in table and "2 line(s) skipped" in table


def test_an_unreadable_log_is_a_user_error(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path / "missing.log")])
    assert result.exit_code == 2 and "cannot read the log" in result.output and "Traceback" not in result.output


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(), st.builds(lambda d: json.dumps({"event": "llm_call", **d}),
                                                st.dictionaries(st.sampled_from(["status", "cost_usd", "duration_ms", "input_tokens", "model"]),
                                                                st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)))))))
def test_any_lines_summarise_without_raising(lines):
    data = report.summarise(lines)
    assert data["total"]["calls"] + data["skipped_lines"] <= len(lines)
    report.table(data)
