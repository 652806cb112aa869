"""The spec's JSON Schema says what the fixed-threshold alerts do: every window, aggregation, hold and guard a
description of `alerts:` names is the one the rules built for the reference spec use.

The descriptions are written from the constants the rule builders read (generator.conventions); this reads
the built rules themselves, so a builder that stops using a constant, or changes a median into an average,
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator import build, conventions as conv
from generator.spec.models import Spec

ROOT = Path(__file__).resolve().parent.parent

# alerts.<field> -> the alert the rules build for it
ALERTS = {
    "ttft_p95": "TtftP95High",
    "error_burst": "ErrorBurst",
    "server_errors": "ServerErrorsSustained",
    "truncations": "MaxTokensTruncations",
    "cache_reads": "CacheReadsCollapsed",
    "output_speed": "OutputSpeedDegraded",
    "credentials": "CredentialsRejected",
    "model_not_found": "ModelNotFound",
    "client_errors": "ClientErrorSurge",
    "upstream_degraded": "UpstreamDegraded",
}
FAILURES = {"credentials", "model_not_found", "client_errors", "upstream_degraded"}
_WINDOW = r"\d+(?:ms|s|m|h|d|w)"
_UNITS = {"minute": "m", "hour": "h", "day": "d", "week": "w"}
_AGGREGATIONS = {"median": "median", "average": "average", "averaged": "average", "mean": "average", "p95": "p95"}


def facts(rules: list[dict], alert: str) -> dict[str, set]:
    """What the alert's rules compute: range windows, (aggregation, window) pairs, holds, failure guards."""
    mine = [r for r in rules if r.get("alert") == alert]
    assert mine, f"no {alert} rule in the reference bundle"
    recorded = {r["record"]: r["expr"] for r in rules if "record" in r}
    exprs, todo = [], [r["expr"] for r in mine]
    while todo:  # the alert's expression and every recording it reads, transitively
        expr = todo.pop()
        exprs.append(expr)
        todo += [recorded.pop(name) for name in list(recorded) if name in expr]
    text = "\n".join(exprs)
    return {
        "windows": set(re.findall(rf"\[({_WINDOW})\]", text)),
        "aggregations": {("median", w) for w in re.findall(rf"quantile_over_time\(0\.5, [^\[]*\[({_WINDOW})\]", text)}
        | {("average", w) for w in re.findall(rf"avg_over_time\([^\[]*\[({_WINDOW})\]", text)}
        | {("p95", w) for w in re.findall(rf"histogram_quantile\(0\.95, .*?\[({_WINDOW})\]", text)},
        "holds": {r.get("for", "0s") for r in mine},
        "guards": set(re.findall(r">= (\d+)\b", text)),
    }


def mismatches(description: str, known: dict[str, set]) -> list[str]:
    """Every claim of `description` the rules do not bear out."""
    text = re.sub(r"\b(\d+)-(minute|hour|day|week)\b", lambda m: m.group(1) + _UNITS[m.group(2)], description)
    wrong = [f"window {w}" for w in re.findall(rf"\b({_WINDOW})\b", text) if w not in known["windows"] | known["holds"]]
    for word in re.findall(r"\b(median|averaged|average|mean|p95)\b", text):
        after = re.search(rf"\b{word} over the (?:last|previous) ({_WINDOW})", text)
        before = re.search(rf"\b({_WINDOW}) {word}\b", text)
        window = (after or before).group(1) if after or before else None
        if (_AGGREGATIONS[word], window) not in known["aggregations"]:
            wrong.append(f"{word} over {window or 'an unnamed window'}")
    wrong += [f"hold {w}" for w in re.findall(rf"\b(?:for|lasts) ({_WINDOW})\b", text) if w not in known["holds"]]
    wrong += [f"at least {n}" for n in re.findall(r"\bat least (\d+)\b", text) if n not in known["guards"]]
    return wrong


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    _, rendered = build(ROOT / "slo.yaml")
    doc = yaml.safe_load(rendered[conv.rules_file("claude-assistant")])
    return [r for g in doc["groups"] for r in g["rules"]]


def _descriptions(schema: dict, field: str) -> dict[str, str]:
    ref = schema["$defs"]["ThresholdAlerts"]["properties"][field]["$ref"].rsplit("/", 1)[1]
    return {name: p["description"] for name, p in schema["$defs"][ref]["properties"].items() if "description" in p}


def test_every_threshold_alert_is_checked():
    assert set(Spec.model_json_schema()["$defs"]["ThresholdAlerts"]["properties"]) == set(ALERTS)


@pytest.mark.parametrize("field", sorted(ALERTS))
def test_the_schema_describes_what_the_rules_do(rules, field):
    name = conv.failure_alert if field in FAILURES else conv.threshold_alert
    known = facts(rules, name("claude-assistant", ALERTS[field]))
    descriptions = _descriptions(Spec.model_json_schema(), field)
    assert descriptions
    assert {name: mismatches(text, known) for name, text in descriptions.items()} == {name: [] for name in descriptions}


def test_the_descriptions_the_issue_found_wrong_are_caught(rules):
    cache = facts(rules, conv.threshold_alert("claude-assistant", "CacheReadsCollapsed"))
    speed = facts(rules, conv.threshold_alert("claude-assistant", "OutputSpeedDegraded"))
    assert mismatches("A feature whose cache-read share stayed above this for the previous 6h counts as caching...", cache) == ["window 6h"]
    assert mismatches("Warn when the 30m speed of a model falls this far below its 1-day average.", speed) == ["average over 1d"]
    assert mismatches("Share over the last 2m, with at least 7 failures in it", facts(rules, conv.threshold_alert("claude-assistant", "ErrorBurst"))) == [
        "at least 7",
    ]
