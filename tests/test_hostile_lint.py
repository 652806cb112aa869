"""secrets/scan and kubernetes/size: a secret anywhere in out/ fails lint; a Kubernetes object past
what client-side apply or etcd take is reported with the way to apply it."""

import shutil
from pathlib import Path

import pytest
import yaml

from generator import build
from generator.tools.lint.base import Context, Severity
from generator.tools.lint.secrets import SECRET_SHAPES, ObjectSize, SecretScan
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = {
    "a Slack webhook URL": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "a Slack token": "xoxb-123456789012-abcdefghij",
    "an Anthropic or OpenAI API key": "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv",
    "an AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "a GitHub token": "ghp_" + "a1B2c3D4e5" * 4,
    "a GitLab token": "glpat-AbCdEfGhIjKlMnOpQrSt",
    "a Google API key": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----",
    "a JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "a URL with a password": "https://admin:hunter2@grafana.example.com",
    "a PagerDuty or Opsgenie key in a key field": "routing_key: R0123456789ABCDEF0123",
}


def test_every_shape_has_a_sample():
    assert set(SAMPLES) == set(SECRET_SHAPES)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "out"
    write(out, build(ROOT / "slo.yaml")[1])
    return out


def test_the_clean_bundles_hold_no_secret(bundle):
    assert SecretScan().run(Context(out=bundle)) == []
    for golden in (ROOT / "tests" / "golden").glob("*/expected"):
        assert SecretScan().run(Context(out=golden)) == [], golden


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_a_secret_anywhere_in_out_fails_lint(bundle, tmp_path, kind):
    out = tmp_path / "out"
    shutil.copytree(bundle, out)
    victim = next((out / "alertmanager").glob("*.yml"))
    lines = victim.read_text().splitlines()
    lines.insert(3, f"# {SAMPLES[kind]}")
    victim.write_text("\n".join(lines) + "\n")
    problems = SecretScan().run(Context(out=out))
    assert [(p.where, p.severity) for p in problems] == [(f"alertmanager/{victim.name}:4", Severity.BUG)]
    assert kind in problems[0].message and "rotate" in problems[0].message


def _fleet(tmp_path: Path, n: int) -> Path:
    tmp_path.mkdir(parents=True)
    slos = [{"name": f"s{i}", "objective": 99.5, "sli": {"availability": {}}} for i in range(n)]
    spec = tmp_path / "slo.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "service": "fleet", "kubernetes": {"namespace": "ai"}, "slos": slos}))
    out = tmp_path / "out"
    write(out, build(spec)[1])
    return out


def test_a_rule_object_past_client_side_apply_says_how_to_apply_it(tmp_path):
    assert ObjectSize().run(Context(out=_fleet(tmp_path / "a", 2))) == []
    # Fourteen SLOs' rules are split into objects client-side apply takes; one object that large is not.
    out = _fleet(tmp_path / "b", 14)
    rule = out / "kubernetes/prometheusrule-fleet.yaml"
    assert len(list(yaml.safe_load_all(rule.read_text()))) >= 2 and ObjectSize().run(Context(out=out)) == []
    objects = list(yaml.safe_load_all(rule.read_text()))
    objects[0]["spec"]["groups"] = [g for o in objects for g in o["spec"]["groups"]]
    rule.write_text(yaml.safe_dump(objects[0]))
    problems = ObjectSize().run(Context(out=out))
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert "kubectl apply --server-side" in problems[0].message


def test_an_object_past_etcd_is_a_bug(tmp_path):
    out = tmp_path / "out"
    (out / "kubernetes").mkdir(parents=True)
    (out / "kubernetes" / "big.yaml").write_text("x: " + "y" * 1_600_000 + "\n")
    problems = ObjectSize().run(Context(out=out))
    assert [p.severity for p in problems] == [Severity.BUG] and "1.5 MiB" in problems[0].message
