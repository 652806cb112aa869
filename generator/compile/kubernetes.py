"""out/kubernetes/: the bundle as prometheus-operator objects, and the kustomization.yaml that lists them.

The PrometheusRule carries the very groups of the plain rule file, so both run the same rules (written as several
objects when one would pass what client-side apply can keep: render.OBJECT_BYTES); its labels are the spec's
`kubernetes.rule_labels`, which the operator's `ruleSelector` matches.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from generator import conventions as conv
from generator.ir import Document, PrometheusRule, RuleFile, YamlDoc
from generator.resolve import ResolvedService


def build(service: ResolvedService, rules: RuleFile, alertmanager_config: dict, files: dict[PurePosixPath, Document]) -> dict[PurePosixPath, Document]:
    """The operator objects; `files` the other files of the bundle that go in its folder (the dashboards' ConfigMaps)."""
    assert service.kubernetes is not None
    metadata: dict = {"name": conv.kubernetes_name(conv.TOOL, service.name)}
    if service.namespace:
        metadata["namespace"] = service.namespace
    metadata["labels"] = {conv.MANAGED_BY_LABEL: conv.TOOL, **service.kubernetes}
    out: dict[PurePosixPath, Document] = {
        _path(conv.prometheus_rule_file(service.name)): PrometheusRule(metadata, rules),
        _path(conv.alertmanager_crd_file(service.name)): YamlDoc(alertmanager_config),
    }
    folder = PurePosixPath(conv.KUBERNETES_DIR.as_posix())
    out[_path(conv.kustomization_file())] = YamlDoc(conv.kustomization([p.name for p in {*files, *out} if p.parent == folder]))
    return out


def _path(path: object) -> PurePosixPath:
    return PurePosixPath(str(path))
