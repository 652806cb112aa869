"""Alert annotation `dashboard_url`: the dashboard a responder opens first, when the spec names its Grafana."""

from __future__ import annotations

from dataclasses import replace

from generator import conventions as conv
from generator.ir import AlertingRule, RecordingRule, RuleGroup
from generator.resolve import ResolvedService

BY_CATEGORY = {conv.CATEGORY_COST: "cost", conv.CATEGORY_RATELIMIT: "ratelimits", conv.CATEGORY_QUALITY: "tokens"}


def kind_for(rule: AlertingRule, service: ResolvedService) -> str:
    wanted = "slos" if conv.LABEL_SLO in rule.labels else BY_CATEGORY.get(rule.labels.get(conv.LABEL_CATEGORY, ""), "overview")
    return wanted if wanted in service.dashboard_kinds else "overview"


def link(rule: AlertingRule, service: ResolvedService) -> AlertingRule:
    if service.grafana_base is None:
        return rule
    url = conv.dashboard_url(service.grafana_base, conv.dashboard_uid(service.name, kind_for(rule, service)))
    return replace(rule, annotations={**rule.annotations, conv.ANNOTATION_DASHBOARD: url})


def link_group(group: RuleGroup, service: ResolvedService) -> RuleGroup:
    rules: tuple[RecordingRule | AlertingRule, ...] = tuple(link(r, service) if isinstance(r, AlertingRule) else r for r in group.rules)
    return replace(group, rules=rules)
