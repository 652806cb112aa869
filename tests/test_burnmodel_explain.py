from pathlib import Path

from typer.testing import CliRunner

from generator import load
from generator.burnmodel import Model, Traffic, outage_detection_minutes
from generator.cli import app
from generator.tools.explain import explain

ROOT = Path(__file__).resolve().parent.parent


def availability():
    return next(s for s in load(ROOT / "slo.yaml").slos if s.name == "availability")


def test_model_decides_with_margin_and_abstains_near_the_threshold():
    slo = availability()
    page = next(p for p in slo.pairs if p.long == "1h")  # 1h/5m at 14.4x: 7.2% bad
    traffic = Traffic.of([(180, 600, 0), (10, 600, 600)])
    model = Model(slo, traffic)
    assert model.state(page, 180) == "silent"
    assert model.state(page, 184) == "silent"  # 4/60 = 6.7% < 7.2% - 5%
    assert model.state(page, 185) == "fire"  # 5/60 = 8.3%
    steady = Model(slo, Traffic.of([(120, 1000, 72)]))  # exactly at the threshold
    assert steady.state(page, 100) == "unknown"


def test_guard_keeps_one_failure_at_low_traffic_silent():
    slo = availability()
    model = Model(slo, Traffic.of([(10, 2, 0), (1, 2, 1), (30, 2, 0)]))
    assert all(model.state(p, t) == "silent" for p in slo.pairs for t in range(1, 42))


def test_detection_times_for_a_full_outage():
    slo = availability()
    # Windows to an hour read raw counters; longer ones are composed of recorded pieces, given a minute of slack.
    assert [outage_detection_minutes(slo, p) for p in slo.pairs] == [2, 5, 12, 23, 23]


def test_explain_states_budget_and_detection():
    text = explain(load(ROOT / "slo.yaml"))
    assert "error budget: 0.5% of requests = 3.6 h of full outage per 30d" in text
    line = next(l for l in text.splitlines() if l.strip().startswith("critical  fast ") and "7.2%" in l)
    assert "1h/5m" in line and "14.4x" in line and "2%" in line and "5 min" in line
    line = next(l for l in text.splitlines() if l.strip().startswith("critical  very-fast"))
    assert "5m/2m" in line and "40x" in line and "20%" in line and "2 min" in line
    assert "very-fast tier: 5m/2m pages a total outage in 2 min; 1h/5m alone would take 5 min" in text
    # A 95% latency SLO: every request slow pages within 10 minutes.
    ttft = text[text.index("SLO ttft"):]
    line = next(l for l in ttft.splitlines() if l.strip().startswith("critical  very-fast"))
    assert "15m/3m" in line and "9 min" in line
    assert "no burn alert until the long window holds 5 bad events" in text


def test_explain_command(tmp_path):
    result = CliRunner().invoke(app, ["explain", str(ROOT / "slo.yaml")])
    assert result.exit_code == 0
    assert "SLO ttft (latency): 95% of requests get a time to first token within 3s, over 30d" in result.output


def test_schema_is_committed_and_current(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["schema", "--check", "--out", str(ROOT / "slo.schema.json")]).exit_code == 0
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code == 0
    assert '"slos"' in out.read_text()
    out.write_text("{}")
    assert runner.invoke(app, ["schema", "--check", "--out", str(out)]).exit_code == 1
    assert (ROOT / "slo.yaml").read_text().startswith("# yaml-language-server: $schema=./slo.schema.json")
