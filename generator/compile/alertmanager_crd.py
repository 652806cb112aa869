"""The same routing as a prometheus-operator AlertmanagerConfig (monitoring.coreos.com/v1alpha1).

Built from the plain configuration's data, so both outputs route alike. Differences the operator
imposes: camelCase keys, secrets as SecretKeySelectors (the secret file's name becomes the key in
one Kubernetes Secret), SMTP settings on each email receiver, and a `namespace="<ns>"` matcher the
operator adds to the top route, which is why every alert must carry the `namespace` label.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from generator import conventions as conv
from generator.compile import alertmanager as am
from generator.resolve import ResolvedService

SECRET_FIELDS = {"api_url_file": "apiURL", "routing_key_file": "routingKey", "api_key_file": "apiKey", "auth_password_file": "authPassword"}
RENAMES = {"source_matchers": "sourceMatch", "target_matchers": "targetMatch", "require_tls": "requireTLS", "send_resolved": "sendResolved"}


def _camel(key: str) -> str:
    return RENAMES.get(key) or re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def _crd(obj: object, secret: str) -> object:
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key in SECRET_FIELDS:
                out[SECRET_FIELDS[key]] = {"name": secret, "key": PurePosixPath(value).name}
            elif key in am.MATCHER_KEYS:
                out[_camel(key)] = [{"name": lab, "value": val, "matchType": op} for lab, op, val in value]
            elif key == "headers":
                out["headers"] = [{"key": k, "value": v} for k, v in value.items()]
            else:
                out[_camel(key)] = _crd(value, secret)
        return out
    if isinstance(obj, list):
        return [_crd(v, secret) for v in obj]
    return obj


def build(service: ResolvedService) -> dict:
    n = service.notifications
    secret = conv.kubernetes_secret(service.name)
    route = am.route_data(service)
    receivers = am.receivers_data(n)
    if n.smtp:
        smtp = {"smarthost": n.smtp.smarthost, "from": n.smtp.sender, "require_tls": n.smtp.require_tls}
        if n.smtp.auth_username:
            smtp["auth_username"] = n.smtp.auth_username
        if n.smtp.auth_password_file:
            smtp["auth_password_file"] = n.smtp.auth_password_file
        for receiver in receivers:
            for email in receiver.get("email_configs", []):
                email.update(smtp)
    spec: dict = {"route": route, "receivers": receivers, "inhibit_rules": am.inhibit_data(n, service.slos)}
    if n.time_intervals:
        spec["mute_time_intervals"] = am.time_intervals_data(n)
    api, kind = conv.ALERTMANAGER_CONFIG
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {
            "name": conv.kubernetes_name(service.name),
            **({"namespace": service.namespace} if service.namespace else {}),
            "labels": {conv.MANAGED_BY_LABEL: conv.TOOL},
        },
        "spec": _crd(spec, secret),
    }
