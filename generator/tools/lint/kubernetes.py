"""kubernetes/crd and kubernetes/kustomization: the objects in out/kubernetes/ against prometheus-operator's CRDs.

The schemas are the operator's own, as generated into cloudcoil-models-prometheus-operator: types,
enums and patterns are validated there, and a field the CRD does not know (which the API server
would prune silently) is found by comparing the object with what the model keeps of it.
"""

from __future__ import annotations

import re

import yaml

from generator import conventions as conv
from generator.tools.lint.base import Check, Context, Problem, Severity


def _models() -> dict:
    from cloudcoil.models.prometheus_operator import v1, v1alpha1

    return {conv.PROMETHEUS_RULE: v1.PrometheusRule, conv.ALERTMANAGER_CONFIG: v1alpha1.AlertmanagerConfig}


def objects(ctx: Context) -> list[tuple[str, str]]:
    """(where, text) of every object in out/kubernetes/: a file holds several when a large service's rules are
    split (conventions.OBJECT_SEPARATOR), and each is then named by its place in the file."""
    found = []
    for path in ctx.files(f"{conv.KUBERNETES_DIR.as_posix()}/*.yaml"):
        texts = re.split(f"(?m)^{re.escape(conv.OBJECT_SEPARATOR)}", path.read_text(encoding="utf-8"))
        found += [(f"{path.name} (object {i + 1} of {len(texts)})" if len(texts) > 1 else path.name, t) for i, t in enumerate(texts)]
    return found


def _dropped(given: object, kept: object, at: str = "") -> list[str]:
    """Paths present in `given` that the model did not keep: fields the CRD does not have."""
    if isinstance(given, dict) and isinstance(kept, dict):
        out = []
        for key, value in given.items():
            if key not in kept:
                out.append(f"{at}.{key}".lstrip("."))
            else:
                out += _dropped(value, kept[key], f"{at}.{key}")
        return out
    if isinstance(given, list) and isinstance(kept, list):
        return [p for i, (g, k) in enumerate(zip(given, kept)) for p in _dropped(g, k, f"{at}[{i}]")]
    return []


class Crd(Check):
    name = "kubernetes/crd"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        models = _models()
        problems = []
        for where, text in objects(ctx):
            doc = yaml.safe_load(text)
            if doc:
                problems += self._check(models, where, doc)
        return problems

    def _check(self, models: dict, where: str, doc: dict) -> list[Problem]:
        model = models.get((doc.get("apiVersion"), doc.get("kind")))
        if model is None:
            return []  # ConfigMaps and the kustomization are core types
        try:
            kept = model.model_validate(doc).model_dump(mode="json", by_alias=True, exclude_unset=True)
        except ValueError as exc:
            return [self.problem(where, f"not a valid {doc['kind']}: {exc}")]
        return [self.problem(where, f"{field}: not a field of {doc['kind']} ({doc['apiVersion']}); the API server would drop it") for field in _dropped(doc, kept)]


class Kustomization(Check):
    name = "kubernetes/kustomization"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        path = ctx.out / conv.kustomization_file()
        if not path.exists():
            return []
        listed = set(yaml.safe_load(path.read_text(encoding="utf-8")).get("resources") or [])
        present = {p.name for p in path.parent.glob("*.yaml")} - {path.name}
        return [self.problem(path.name, f"lists {n}, which is not in {path.parent.name}/") for n in sorted(listed - present)] + [
            self.problem(path.name, f"does not list {n}: kubectl apply -k would skip it") for n in sorted(present - listed)
        ]
