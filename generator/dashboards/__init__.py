"""Resolved service -> Grafana dashboards, their file provisioning and optional ConfigMaps.

Built with grafana-foundation-sdk (typed builders for Grafana 11.6); the renderer only
serialises the resulting dicts.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import orjson
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm

from generator import conventions as conv
from generator.dashboards.panels import choice
from generator.dashboards.queries import Queries
from generator.dashboards.views import VIEWS
from generator.ir import DashboardConfigMap, Document, JsonDoc, YamlDoc
from generator.resolve import ResolvedService

FOLDER = "slogen"


def _variables(qs: Queries) -> list:
    datasource = db.DatasourceVariable("datasource").label("Data source").type("prometheus")
    return [datasource, *(choice(name, name.capitalize(), qs.values_of(name)) for name in qs.variables)]


def _links(service: ResolvedService) -> list:
    links = [
        db.DashboardLink("Dashboards").type(dm.DashboardLinkType.DASHBOARDS).tags([conv.tag_of(service.name)]).as_dropdown(False)
        .include_vars(True).keep_time(True)
    ]
    if service.runbook_base:
        links.append(db.DashboardLink("Runbooks").type(dm.DashboardLinkType.LINK).url(f"{service.runbook_base.rstrip('/')}/runbooks/").target_blank(True))
    return links


def dashboard(service: ResolvedService, kind: str, recorded: frozenset[str], notes: list[str] | None = None) -> dict:
    """One board; what it leaves out for want of data is added to `notes` (the build's warnings)."""
    qs = Queries(service, recorded)
    title, view = VIEWS[kind]
    board = view(qs)
    if notes is not None:
        notes += [f"dashboard {service.name} / {title} leaves out {note}" for note in board.notes]
    built = (
        db.Dashboard(f"{service.name} / {title}")
        .uid(conv.dashboard_uid(service.name, kind))
        .description(f"{service.description or title + ' of ' + service.name}\n{conv.HEADER}")
        .tags([conv.DASHBOARD_TAG, conv.tag_of(service.name)])
        .editable()
        .time("now-6h", "now")
        .refresh("1m")
        .timezone("browser")
        .variables(_variables(qs) + board.variables)
        .links(_links(service))
    )
    built = board.onto(built)
    # The SDK's encoder hook turns its models into dicts; orjson does the rest at C speed.
    return orjson.loads(orjson.dumps(built.build(), default=JSONEncoder().default))


def build(service: ResolvedService, recorded: frozenset[str], notes: list[str] | None = None) -> dict[PurePosixPath, Document]:
    files: dict[PurePosixPath, Document] = {}
    for kind in service.dashboard_kinds:
        uid = conv.dashboard_uid(service.name, kind)
        data = dashboard(service, kind, recorded, notes)
        files[PurePosixPath(conv.dashboard_file(uid).as_posix())] = JsonDoc(data)
        if service.kubernetes is not None:
            files[PurePosixPath(conv.dashboard_configmap_file(uid).as_posix())] = _configmap(service, uid, data)
    files[PurePosixPath(conv.grafana_provisioning_file().as_posix())] = YamlDoc(_provisioning())
    return files


def _provisioning() -> dict:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": conv.TOOL,
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                # Relative to Grafana's working directory; point it at wherever out/grafana/dashboards is mounted.
                "options": {"path": "/var/lib/grafana/dashboards/slogen", "foldersFromFilesStructure": False},
            }
        ],
    }


def _configmap(service: ResolvedService, uid: str, data: dict) -> DashboardConfigMap:
    metadata = {
        "name": f"grafana-dashboard-{uid.lower().replace('_', '-')}"[:63].rstrip("-"),
        "namespace": service.namespace,
        "labels": {conv.GRAFANA_SIDECAR_LABEL: "1"},
        "annotations": {"grafana_folder": FOLDER},
    }
    return DashboardConfigMap(metadata, f"{uid}.json", data)
