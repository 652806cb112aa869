"""notifications -> Alertmanager configuration, a mergeable fragment and routing tests.

Spec routes are independent: every route whose labels match notifies its receivers, in order,
unless a matching route says `stop`. In the routing tree that is one sibling per receiver with
`continue: true`, and `continue: false` on the last sibling of a stopping route.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator import conventions as conv
from generator import promql as q
from generator.resolve import ResolvedService, ResolvedSLO
from generator.spec.models import Grouping, Notifications, Receiver, Route


Matcher = tuple[str, str, str]  # label, op (= or =~), value; rendered per output format at the end


def matcher(label: str, value: str) -> Matcher:
    return (label, "=", value)


def matcher_re(label: str, pattern: str) -> Matcher:
    return (label, "=~", pattern)


MATCHER_KEYS = ("matchers", "source_matchers", "target_matchers")


def plain(obj: object) -> object:
    """The structure with matchers written the way alertmanager.yml wants them: `label="value"`."""
    if isinstance(obj, dict):
        return {k: [f"{lab}{op}{q.string(val)}" for lab, op, val in v] if k in MATCHER_KEYS else plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    return obj


def expected_receivers(labels: dict[str, str], n: Notifications) -> list[str]:
    """Who is told about an alert with these labels: the spec's meaning, written without the tree."""
    told: list[str] = []
    for route in n.routes:
        if all(labels.get(k) == v for k, v in route.match.items()):
            told += route.receivers
            if route.stop:
                break
    return told or [n.default_receiver or conv.NULL_RECEIVER]


def _grouping(g: Grouping) -> dict:
    out: dict = {}
    if g.group_by is not None:
        out["group_by"] = list(g.group_by)
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if getattr(g, key) is not None:
            out[key] = getattr(g, key)
    return out


def _children(route: Route) -> list[dict]:
    children = []
    for j, receiver in enumerate(route.receivers):
        child: dict = {"receiver": receiver}
        if route.match:
            child["matchers"] = [matcher(k, v) for k, v in sorted(route.match.items())]
        child.update(_grouping(route))
        for key in ("active_time_intervals", "mute_time_intervals"):
            if getattr(route, key):
                child[key] = list(getattr(route, key))
        child["continue"] = not (route.stop and j == len(route.receivers) - 1)
        children.append(child)
    return children


def _receiver(name: str, r: Receiver) -> dict:
    title = f'{{{{ template "{conv.TEMPLATE_TITLE}" . }}}}'
    text = f'{{{{ template "{conv.TEMPLATE_TEXT}" . }}}}'
    out: dict = {"name": name}
    if r.slack:
        out["slack_configs"] = [
            {"channel": q.go_text(r.slack.channel), "api_url_file": r.slack.api_url_file, "send_resolved": True, "title": title, "text": text}
        ]
    if r.pagerduty:
        out["pagerduty_configs"] = [{"routing_key_file": r.pagerduty.routing_key_file, "description": title, "send_resolved": True}]
    if r.email:
        out["email_configs"] = [
            {
                "to": q.go_text(", ".join(r.email.to)),
                "send_resolved": True,
                "headers": {"Subject": title},
                "html": f'{{{{ template "{conv.TEMPLATE_HTML}" . }}}}',
            }
        ]
    if r.webhook:
        out["webhook_configs"] = [{"url": r.webhook.url, "send_resolved": True}]
    if r.opsgenie:
        out["opsgenie_configs"] = [{"api_key_file": r.opsgenie.api_key_file, "message": title, "description": text}]
    return out


def inhibit_data(n: Notifications, slos: Iterable[ResolvedSLO] = ()) -> list[dict]:
    rules = []
    if n.inhibit.critical_inhibits_warning:
        rules.append(
            {
                "source_matchers": [matcher(conv.LABEL_SEVERITY, conv.SEVERITY_PAGE)],
                "target_matchers": [matcher(conv.LABEL_SEVERITY, conv.SEVERITY_TICKET)],
                "equal": list(conv.SAME_ALERT_LABELS),
            }
        )
    if n.inhibit.availability_page_inhibits_latency:
        rules.append(
            {
                "source_matchers": [matcher(conv.LABEL_CATEGORY, conv.CATEGORY_AVAILABILITY), matcher(conv.LABEL_SEVERITY, conv.SEVERITY_PAGE)],
                "target_matchers": [matcher(conv.LABEL_CATEGORY, conv.CATEGORY_LATENCY)],
                "equal": [conv.LABEL_SERVICE],
            }
        )
    if n.inhibit.page_inhibits_symptoms:
        rules.append(
            {
                # An availability page explains failing requests; a latency page does not.
                "source_matchers": [
                    matcher(conv.LABEL_CATEGORY, conv.CATEGORY_AVAILABILITY), matcher(conv.LABEL_SEVERITY, conv.SEVERITY_PAGE), matcher_re(conv.LABEL_SLO, ".+"),
                ],
                "target_matchers": [matcher_re(conv.LABEL_ALERTNAME, f".+({'|'.join(conv.SYMPTOM_ALERTS)})")],
                "equal": [conv.LABEL_SERVICE],
            }
        )
    if n.inhibit.service_wide_inhibits_groups:
        rules += _group_inhibits(slos)
    return rules


def _group_inhibits(slos: Iterable[ResolvedSLO]) -> list[dict]:
    """A grouped SLO's service-wide burn alert holds back its per-group alerts of the same or lower
    severity: when the whole service burns, every busy group burns too, and one page says it."""
    rules = []
    for slo in slos:
        if not slo.group_by:
            continue
        same = [conv.LABEL_SERVICE, conv.LABEL_SLO]
        for source, targets in ((conv.SEVERITY_PAGE, ()), (conv.SEVERITY_TICKET, (matcher(conv.LABEL_SEVERITY, conv.SEVERITY_TICKET),))):
            rules.append(
                {
                    "source_matchers": [matcher(conv.LABEL_ALERTNAME, slo.burn_alert), matcher(conv.LABEL_SEVERITY, source)],
                    "target_matchers": [matcher(conv.LABEL_ALERTNAME, slo.group_alert), *targets],
                    "equal": same,
                }
            )
    return rules


def time_intervals_data(n: Notifications) -> list[dict]:
    return [
        {"name": name, "time_intervals": [ti.model_dump(exclude_none=True, exclude_defaults=True) for ti in intervals]}
        for name, intervals in sorted(n.time_intervals.items())
    ]


def receivers_data(n: Notifications) -> list[dict]:
    receivers = [_receiver(name, r) for name, r in sorted(n.receivers.items())]
    if n.default_receiver is None:
        receivers.append({"name": conv.NULL_RECEIVER})  # alerts no route claims end here, on purpose
    return receivers


def route_data(service: ResolvedService) -> dict:
    n = service.notifications
    route: dict = {
        "receiver": n.default_receiver or conv.NULL_RECEIVER,
        "group_by": list(n.group_by or conv.DEFAULT_GROUP_BY),
        "group_wait": n.group_wait or "30s",
        "group_interval": n.group_interval or "5m",
        "repeat_interval": n.repeat_interval or "4h",
    }
    route["routes"] = [child for r in n.routes for child in _children(r)]
    return route


def build_config(service: ResolvedService) -> dict:
    n = service.notifications
    config: dict = {}
    if n.smtp:
        config["global"] = {
            "smtp_smarthost": n.smtp.smarthost,
            "smtp_from": n.smtp.sender,
            **({"smtp_auth_username": n.smtp.auth_username} if n.smtp.auth_username else {}),
            **({"smtp_auth_password_file": n.smtp.auth_password_file} if n.smtp.auth_password_file else {}),
            "smtp_require_tls": n.smtp.require_tls,
        }
    config["templates"] = [f"{conv.alertmanager_template_file().parent.name}/*.tmpl"]
    config["route"] = route_data(service)
    config["inhibit_rules"] = inhibit_data(n, service.slos)
    config["receivers"] = receivers_data(n)
    if n.time_intervals:
        config["time_intervals"] = time_intervals_data(n)
    return plain(config)


def build_fragment(service: ResolvedService) -> dict:
    """For teams with their own Alertmanager: a subtree for this service, to paste under `route.routes`."""
    n = service.notifications
    subtree = {"matchers": [matcher(conv.LABEL_SERVICE, service.name)], **route_data(service), "continue": False}
    fragment: dict = {"route": subtree, "receivers": receivers_data(n), "inhibit_rules": inhibit_data(n, service.slos)}
    if n.time_intervals:
        fragment["time_intervals"] = time_intervals_data(n)
    return plain(fragment)


def build_routing_tests(service: ResolvedService, alerts: Iterable[tuple[str, dict[str, str]]]) -> dict:
    """Every alert the bundle can emit (its name and real labels), with the receivers the spec implies."""
    cases = []
    seen = set()
    for alert, labels in alerts:
        labels = {conv.LABEL_ALERTNAME: alert, **labels}
        key = tuple(sorted(labels.items()))
        if key in seen:
            continue
        seen.add(key)
        cases.append({"alert": alert, "labels": dict(key), "receivers": expected_receivers(labels, service.notifications)})
    return {"cases": cases}

