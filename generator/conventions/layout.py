"""The bundle's layout: where each file goes in out/ (paths are relative to it), the Kubernetes objects' names,
and where runbooks and dashboards are published. Stages ask `generator.conventions` for these, as for every name."""

from __future__ import annotations

from pathlib import Path


def rules_file(service: str) -> Path:
    return Path("prometheus/rules") / f"{service}.yaml"


def rules_test_file(service: str) -> Path:
    return Path("prometheus/tests") / f"{service}.test.yaml"


RUNBOOKS_DIR = "runbooks"


def runbook_file(alert: str) -> Path:
    return Path(RUNBOOKS_DIR) / f"{alert}.md"


def runbook_url(base: str, alert: str) -> str:
    """Where the alert's runbook is published; relative to the bundle when no base is set."""
    path = f"{RUNBOOKS_DIR}/{alert}.md"  # runbook_file(alert), without pathlib's cost: every alert links one
    return f"{base.rstrip('/')}/{path}" if base else path


def alertmanager_file() -> Path:
    return Path("alertmanager/alertmanager.yml")


def alertmanager_fragment_file(service: str | None = None) -> Path:
    """One service's routing subtree; a bundle of many services keeps one per service."""
    return Path("alertmanager/fragments") / f"{service}.yml" if service else Path("alertmanager/fragment.yml")


def alertmanager_template_file() -> Path:
    return Path("alertmanager/templates/slogen.tmpl")


# Kubernetes objects live together, so one kustomization.yaml can list them (kustomize loads nothing from outside its folder).
KUBERNETES_DIR = Path("kubernetes")

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
# (apiVersion, kind) of the prometheus-operator objects slogen writes.
PROMETHEUS_RULE = ("monitoring.coreos.com/v1", "PrometheusRule")
ALERTMANAGER_CONFIG = ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig")
OBJECT_SEPARATOR = "---\n"  # between the objects of one file (a large service's rules are several PrometheusRules)


def kubernetes_name(*parts: str, suffix: str = "") -> str:
    """A Kubernetes object name (DNS label: lower case, '-', at most 63 characters), ending in `suffix` whole."""
    return "-".join(parts).lower().replace("_", "-").replace(".", "-")[: 63 - len(suffix)].rstrip("-") + suffix


def kustomization(resources: list[str]) -> dict:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": sorted(resources)}


def alertmanager_crd_file(service: str) -> Path:
    return KUBERNETES_DIR / f"alertmanagerconfig-{service}.yaml"


def prometheus_rule_file(service: str) -> Path:
    return KUBERNETES_DIR / f"prometheusrule-{service}.yaml"


def kustomization_file() -> Path:
    return KUBERNETES_DIR / "kustomization.yaml"


def kubernetes_secret(service: str) -> str:
    """The Secret whose keys are the file names of the spec's *_file references."""
    return f"alertmanager-{service.lower().replace('_', '-').replace('.', '-')}"


def pint_config_file() -> Path:
    return Path("prometheus/.pint.hcl")


def routing_tests_file() -> Path:
    return Path("alertmanager/routing-tests.yaml")


def dashboard_file(uid: str) -> Path:
    return Path("grafana/dashboards") / f"{uid}.json"


def dashboard_configmap_file(uid: str) -> Path:
    return KUBERNETES_DIR / f"dashboard-{uid}.yaml"


def grafana_provisioning_file() -> Path:
    return Path("grafana/provisioning/dashboards.yaml")


def dashboard_url(base: str, uid: str) -> str:
    return f"{base.rstrip('/')}/d/{uid}"


# Folders of out/ that slogen owns; anything else there is left alone.
OWNED_DIRS = ("prometheus", "alertmanager", "grafana", "runbooks", "kubernetes")

__all__ = [name for name in dir() if not name.startswith("_") and name not in ("Path", "annotations")]
