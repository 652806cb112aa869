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


def _log_to(path):
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("slogen.instrument")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, handler


def test_by_user_top_calls_errors_by_type_and_unknown_usage_from_real_logs(tmp_path):
    """Users from slogen.context, a mid-stream overload and a 500, and a decorated function returning text (usage
    unknown): every figure is checked against what the fake API sent."""
    from slogen.instrument import context, observe

    log = tmp_path / "app.log"
    logger, handler = _log_to(log)
    ask = {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    try:
        with FakeAnthropic(Behaviour(input_tokens=100, output_tokens=20)) as api:
            c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), feature="chat",
                           pricing=pricing_from("slo.yaml"), registry=CollectorRegistry())
            for i, user in enumerate(["ann", "bob", "bob", "cid", "cid", "cid"]):
                api.behaviour.output_tokens = 20 * (i + 1)  # the last call is the dearest
                with context(user=user):
                    c.messages.create(**ask)
            api.behaviour.stream_error = "overloaded_error"
            with context(user="bob"):
                try:
                    for _ in c.messages.create(**ask, stream=True):
                        pass
                except anthropic.APIStatusError:
                    pass
            api.behaviour.stream_error, api.behaviour.fail_status = None, 500
            for _ in range(2):
                try:
                    c.messages.create(**ask)
                except anthropic.InternalServerError:
                    pass
            served = list(api.served.requests)

        @observe(model="claude-sonnet-4-6", feature="summarise", pricing=c and None)
        def summarise_text():
            return "some text"

        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            summarise_text()
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert len(served) == 9

    data = json.loads(CliRunner().invoke(app, ["report", str(log), "--json", "--by", "user", "--top", "3"]).output)
    assert set(data) >= {"by_user", "top_cost", "errors"} and "by_model" not in data
    assert {k: g["calls"] for k, g in data["by_user"].items()} == {"ann": 1, "bob": 3, "cid": 3, "(no user)": 3}
    assert data["by_user"]["bob"]["errors"] == 1
    price = lambda out: round((100 * 3.0 + out * 15.0) / 1e6, 8)  # noqa: E731
    assert [e["cost_usd"] for e in data["top_cost"]] == [price(120), price(100), price(80)]
    assert data["top_cost"][0]["user"] == "cid" and data["top_cost"][0]["request_id"].startswith("req_")
    errors = {e["error_type"]: e for e in data["errors"]}
    assert [(e["error_type"], e["count"], e["last_status"]) for e in data["errors"]] == [("InternalServerError", 2, "500"), ("OverloadedError", 1, "529")]
    assert "req_fake_000009" in errors["InternalServerError"]["last_message"]  # the most recent of the two
    assert all(e["last_message"] for e in data["errors"])
    total = data["total"]
    # The text-returning function: tokens and cost unknown, never zero; every other call priced.
    assert total["usage_unknown_calls"] == 1 and total["cost_unknown_calls"] == 1
    assert total["tokens"]["input"] == 7 * 100  # six answers and the stream that failed after its 200; the 500s and the unknown add nothing
    assert abs(total["cost_per_request_usd"] - total["spend_usd"] / 9) < 1e-6  # over the 9 priced calls, not 10
    assert total["latency_ms"]["max"] >= total["latency_ms"]["p99"] >= total["latency_ms"]["p50"] > 0

    table = CliRunner().invoke(app, ["report", str(log), "--by", "user"]).output
    assert "user cid" in table and "Most expensive calls" in table and "OverloadedError" in table and "max ms" in table
