"""Many services, one bundle: every `*.yaml` spec of a folder, built on its own, then merged.

Each service's files are exactly what its spec builds alone, so a change to one spec leaves every
other service's files byte-identical. Only what Alertmanager and kustomize need as one file is
merged: one alertmanager.yml whose root routes each service's subtree (matched on `service`), the
receivers, inhibitions and time intervals of all, the routing tests of all, one kustomization.
`notifications.yaml` in the folder, when present, is the notifications block of every spec that
has none of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from generator import conventions as conv
from generator import stencil
from generator.compile import alertmanager as am
from generator.errors import SpecError
from generator.ir import Bundle, RuleFile, YamlDoc
from generator.pipeline import compile_and_render
from generator.render import render_document
from generator.resolve import ResolvedService, ResolveError, resolve
from generator.spec.load import Source, _problem, load_spec, read_yaml
from generator.spec.models import MAX_SLOS, Notifications

SHARED_NOTIFICATIONS = "notifications.yaml"


@dataclass(frozen=True)
class Built:
    path: Path
    service: ResolvedService
    bundle: Bundle
    rendered: dict[PurePosixPath, bytes]


def spec_files(folder: Path) -> list[Path]:
    """Every spec of the folder, `.yaml` and `.yml` alike (a `.yml` left out would drop a service silently)."""
    specs = sorted(p for p in (*folder.glob("*.yaml"), *folder.glob("*.yml")) if p.stem != Path(SHARED_NOTIFICATIONS).stem)
    if not specs:
        raise SpecError(str(folder), [f"no *.yaml spec in this folder (nor *.yml); put one slo.yaml per service here (and optionally {SHARED_NOTIFICATIONS})"])
    stems: dict[str, Path] = {}
    for path in specs:
        if path.stem in stems:
            raise SpecError(str(path), [f"{stems[path.stem].name} is in this folder too; keep one of them"])
        stems[path.stem] = path
    return specs


def _shared(folder: Path) -> Notifications | None:
    found = [p for p in (folder / SHARED_NOTIFICATIONS, folder / SHARED_NOTIFICATIONS.replace(".yaml", ".yml")) if p.exists()]
    if len(found) > 1:
        raise SpecError(str(found[1]), [f"{found[0].name} is in this folder too; keep one of them"])
    if not found:
        return None
    path = found[0]
    source = Source(str(path))
    data = read_yaml(path, source)
    try:
        return Notifications.model_validate(data)
    except ValidationError as exc:
        raise source.error([_problem(err) for err in exc.errors()]) from None


def load_all(folder: Path, max_slos: int = MAX_SLOS) -> list[tuple[Path, ResolvedService]]:
    shared = _shared(folder)
    out: list[tuple[Path, ResolvedService]] = []
    names: dict[str, Path] = {}
    for path in spec_files(folder):
        spec, source = load_spec(path, max_slos)
        if shared is not None and "notifications" not in spec.model_fields_set:
            spec = spec.model_copy(update={"notifications": shared})
        try:
            service = resolve(spec)
        except ResolveError as exc:
            raise source.error(exc.problems) from None
        if service.name in names:
            raise SpecError(str(path), [f"service: {service.name!r} is also the service of {names[service.name]}; every spec needs its own service name"])
        names[service.name] = path
        out.append((path, service))
    return out


def build_all(folder: Path, max_slos: int = MAX_SLOS) -> tuple[list[Built], dict[PurePosixPath, bytes]]:
    built = [Built(path, service, *compile_and_render(service)) for path, service in load_all(folder, max_slos)]
    _no_alert_clashes(built)
    rendered: dict[PurePosixPath, bytes] = {}
    owner: dict[PurePosixPath, Path] = {}
    merged = {_p(conv.alertmanager_file()), _p(conv.routing_tests_file()), _p(conv.kustomization_file()), _p(conv.alertmanager_fragment_file())}
    for b in built:
        rendered[_p(conv.alertmanager_fragment_file(b.service.name))] = b.rendered[_p(conv.alertmanager_fragment_file())]
        for path, data in b.rendered.items():
            if path in merged:
                continue
            if path in rendered and rendered[path] != data:
                raise SpecError(str(b.path), [f"writes {path}, which {owner[path]} writes differently; rename one service or SLO"])
            rendered[path], owner[path] = data, b.path
    rendered[_p(conv.alertmanager_file())] = render_document(YamlDoc(_alertmanager(built)))
    cases = [c for b in built for c in b.bundle.files[_p(conv.routing_tests_file())].data["cases"]]  # type: ignore[union-attr]
    rendered[_p(conv.routing_tests_file())] = render_document(YamlDoc({"cases": cases}))
    kustomized = [p.name for p in rendered if p.parent == _p(conv.KUBERNETES_DIR)]
    if kustomized:
        rendered[_p(conv.kustomization_file())] = render_document(YamlDoc(conv.kustomization(kustomized)))
    return built, dict(sorted(rendered.items()))


def _p(path: object) -> PurePosixPath:
    return PurePosixPath(str(path))


def _no_alert_clashes(built: list[Built]) -> None:
    seen: dict[str, Built] = {}
    for b in built:
        rules = b.bundle.files[_p(conv.rules_file(b.service.name))]
        assert isinstance(rules, RuleFile)
        for alert in sorted({r.alert for g in map(stencil.unfold, rules.groups) for r in g.rules if hasattr(r, "alert")}):
            other = seen.setdefault(alert, b)
            if other is not b:
                raise SpecError(str(b.path), [f"alert {alert} is also an alert of service {other.service.name} ({other.path}); rename a service or SLO"])


def _alertmanager(built: list[Built]) -> dict:
    """One configuration: the root sends each service to its own subtree; receivers and the rest are the union."""
    config: dict = {}
    globals_ = {b.path: am.build_config(b.service).get("global") for b in built}
    chosen = {repr(sorted(g.items())): (p, g) for p, g in globals_.items() if g}
    if len(chosen) > 1:
        (a, _), (b, _) = list(chosen.values())[:2]
        raise SpecError(str(b), [f"notifications.smtp differs from {a}'s; one Alertmanager has one mail relay, so give every spec the same smtp"])
    if chosen:
        config["global"] = next(iter(chosen.values()))[1]
    config["templates"] = [f"{conv.alertmanager_template_file().parent.name}/*.tmpl"]
    route = {  # each service's subtree as its fragment has it (already in Alertmanager's matcher syntax)
        "receiver": conv.NULL_RECEIVER,
        "group_by": list(conv.DEFAULT_GROUP_BY),
        "routes": [am.build_fragment(b.service)["route"] for b in built],
    }
    config["inhibit_rules"] = _union([r for b in built for r in am.inhibit_data(b.service.notifications, b.service.slos)])
    config["receivers"] = _named([(b, r) for b in built for r in am.receivers_data(b.service.notifications)], "receiver")
    if conv.NULL_RECEIVER not in {r["name"] for r in config["receivers"]}:
        config["receivers"].append(_NULL)
    intervals = _named([(b, t) for b in built for t in am.time_intervals_data(b.service.notifications)], "time interval")
    if intervals:
        config["time_intervals"] = intervals
    plain = am.plain(config)
    assert isinstance(plain, dict)
    return {**{k: plain[k] for k in ("global", "templates") if k in plain}, "route": route, **{k: v for k, v in plain.items() if k not in ("global", "templates")}}


_NULL = {"name": conv.NULL_RECEIVER}


def _union(items: list[dict]) -> list[dict]:
    out: list[dict] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _named(items: list[tuple[Built, dict]], what: str) -> list[dict]:
    """Definitions by name: the same name must mean the same thing in every spec."""
    by_name: dict[str, tuple[Built, dict]] = {}
    for b, item in items:
        first = by_name.setdefault(item["name"], (b, item))
        if first[1] != item:
            raise SpecError(str(b.path), [f"notifications: {what} {item['name']!r} is defined differently in {first[0].path}; define it once "
                                          f"(e.g. in {SHARED_NOTIFICATIONS}) or give one another name"])
    return [item for _, item in sorted(by_name.values(), key=lambda x: x[1]["name"])]
