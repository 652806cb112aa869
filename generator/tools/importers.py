"""Moving over: Sloth and OpenSLO specs in, an equivalent slo.yaml out (and OpenSLO v1 out). Pure.

slogen's SLIs are typed (availability from a status label, latency from histogram buckets), so an
imported query is recognised, not copied: `sum(rate(M{...,code=~"5.."}[w])) / sum(rate(M{...}[w]))` is an
availability SLI on M, `count - bucket{le="0.4"}` over count a latency SLI. What has no slogen
equivalent is listed in the returned notes, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import promql_parser

from generator import conventions as conv
from generator.durations import format_number
from generator.resolve import HistogramSLI, RatioSLI, ResolvedService

_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


class ImportError_(ValueError):  # noqa: N801 - not the builtin
    """The file is not a spec this importer reads."""


@dataclass(frozen=True)
class Picked:
    metric: str
    matchers: tuple[tuple[str, str, str], ...]


def _rate_sum(node: object) -> Picked | None:
    """`sum(rate(M{...}[w]))`, maybe in parentheses, else None."""
    while type(node).__name__ == "ParenExpr":
        node = node.expr  # type: ignore[attr-defined]
    if type(node).__name__ != "AggregateExpr" or str(node.op) != "sum" or node.modifier is not None:  # type: ignore[attr-defined]
        return None
    call = node.expr  # type: ignore[attr-defined]
    if type(call).__name__ != "Call" or call.func.name not in ("rate", "increase") or type(call.args[0]).__name__ != "MatrixSelector":
        return None
    v = call.args[0].vector_selector
    matchers = tuple(sorted((m.name, _OPS[str(m.op)], m.value) for m in v.matchers.matchers if m.name != "__name__"))
    return Picked(v.name, matchers)


def _parse(query: str) -> object | None:
    text = query.replace("{{.window}}", "5m").replace("{{ .window }}", "5m")
    try:
        return promql_parser.parse(text)
    except ValueError:
        return None


@dataclass
class Recognised:
    kind: str  # availability | latency
    metric: str
    base: tuple[tuple[str, str, str], ...]
    status_label: str = ""
    bad_status: str = ""
    good_status: str = ""
    threshold: float = 0.0


def recognise(error_query: str, total_query: str) -> Recognised | None:
    """The slogen SLI behind a bad/total pair of PromQL queries, when there is one."""
    error, total = _parse(error_query), _parse(total_query)
    t = _rate_sum(total) if total is not None else None
    if error is None or t is None:
        return None
    e = _rate_sum(error)
    if e is not None and e.metric == t.metric:
        extra = set(e.matchers) - set(t.matchers)
        if len(extra) == 1 and set(t.matchers) <= set(e.matchers):
            label, op, value = extra.pop()
            if op in ("=~", "="):
                return Recognised("availability", t.metric, t.matchers, label, value if op == "=~" else promql_regex_literal(value))
            if op == "!~":
                return Recognised("availability", t.metric, t.matchers, label, good_status=value)
        return None
    while type(error).__name__ == "ParenExpr":
        error = error.expr  # type: ignore[attr-defined]
    if type(error).__name__ == "BinaryExpr" and str(error.op) == "-":  # type: ignore[attr-defined]
        count, bucket = _rate_sum(error.lhs), _rate_sum(error.rhs)  # type: ignore[attr-defined]
        if count and bucket and count == t and t.metric.endswith("_count") and bucket.metric == t.metric[: -len("_count")] + "_bucket":
            le = [m for m in bucket.matchers if m[0] == "le" and m[1] in ("=", "=~")]
            rest = tuple(m for m in bucket.matchers if m[0] != "le")
            if len(le) == 1 and rest == t.matchers:
                try:
                    threshold = float(le[0][2].split("(")[0].replace("\\", ""))
                except ValueError:
                    return None
                return Recognised("latency", t.metric[: -len("_count")], t.matchers, threshold=threshold)
    return None


def promql_regex_literal(value: str) -> str:
    from generator.promql import regex_literal

    return regex_literal(value)


@dataclass
class Draft:
    """The slo.yaml being written, and what could not come along."""

    spec: dict
    notes: list[str] = field(default_factory=list)


def _sli(draft: Draft, where: str, r: Recognised, signals: dict, selector: dict) -> dict | None:
    equal = {k: v for k, op, v in r.base if op == "="}
    # A status matcher on both queries is an exclusion: those requests count neither way.
    excluded = [v for k, op, v in r.base if r.kind == "availability" and k == r.status_label and op == "!~" and all(c.isalnum() for c in v.split("|"))]
    dropped = [f'{k}{op}"{v}"' for k, op, v in r.base if op != "=" and not (excluded and k == r.status_label and v == excluded[0])]
    if dropped:
        draft.notes.append(f"{where}: matchers {', '.join(dropped)} dropped: metrics.selector holds label equalities only")
    if selector.setdefault("value", equal) != equal:
        draft.notes.append(f"{where}: reads {equal}, another SLO reads {selector['value']}; one metrics.selector serves a spec: not carried")
        return None
    if r.kind == "availability":
        known = signals.setdefault("requests", {"metric": r.metric, "status": r.status_label})
        if known != {"metric": r.metric, "status": r.status_label}:
            draft.notes.append(f"{where}: counts {r.metric} by {r.status_label}; another SLO counts {known['metric']}: not carried")
            return None
        avail: dict = {"bad_status": r.bad_status} if r.bad_status else {"good_status": r.good_status}
        if excluded:
            avail["exclude_status"] = excluded[0].split("|")
        return {"availability": avail}
    # Two histogram slots: a metric that names the first token takes `ttft`, any other `duration`.
    slot = "ttft" if "ttft" in r.metric or "first_token" in r.metric else "duration"
    known = signals.setdefault(slot, {"metric": r.metric, "buckets": []})
    if known["metric"] != r.metric:
        draft.notes.append(f"{where}: latency of {r.metric}; another SLO reads {known['metric']} as {slot}: not carried")
        return None
    known["buckets"] = sorted({*known["buckets"], r.threshold})
    return {"latency": {"signal": slot, "threshold": f"{format_number(r.threshold)}s"}}


def _typed(draft: Draft, where: str, bad: str, total: str, signals: dict, selector: dict) -> dict | None:
    """The typed SLI of a bad/total query pair, or a note saying why there is none."""
    r = recognise(bad, total)
    if r is None:
        draft.notes.append(f"{where}: its queries are neither a status-code ratio nor a histogram bucket ratio: not carried")
        return None
    return _sli(draft, where, r, signals, selector)


def _finish(draft: Draft, signals: dict, selector: dict, slos: list[dict]) -> Draft:
    metrics: dict = {"profile": "prometheus-client"}
    if selector.get("value"):
        metrics["selector"] = selector["value"]
    if "requests" in signals:
        metrics["labels"] = {"status": signals["requests"]["status"]}
    sig = {}
    if "requests" in signals:
        sig["requests"] = {"metric": signals["requests"]["metric"]}
    for slot in ("ttft", "duration"):
        if slot in signals:
            sig[slot] = {"metric": signals[slot]["metric"], "buckets": signals[slot]["buckets"]}
            draft.notes.append(f"{slot} buckets: only the imported thresholds are known; list the histogram's other boundaries under "
                               f"metrics.signals.{slot}.buckets to add thresholds")
    if sig:
        metrics["signals"] = sig
    draft.spec["metrics"] = metrics
    draft.spec["slos"] = slos
    draft.spec["alerts"] = {k: {"enabled": False} for k in ("ttft_p95", "error_burst", "server_errors", "truncations", "cache_reads", "output_speed")}
    draft.spec["budgets"] = {"rate_limits": {"enabled": False}}
    if not slos:
        draft.notes.append("no SLO could be carried over: slogen needs at least one")
    return draft


def _labels(draft: Draft, where: str, labels: dict) -> dict:
    kept = {k: str(v) for k, v in (labels or {}).items() if k not in conv.RESERVED_LABELS}
    for k in sorted(set(labels or {}) - set(kept)):
        draft.notes.append(f"{where}: label {k!r} is set by slogen itself (e.g. `category`, `severity`): not carried")
    return kept


def from_sloth(doc: dict) -> Draft:
    if not isinstance(doc, dict) or doc.get("version") != "prometheus/v1" or "slos" not in doc:
        raise ImportError_("not a Sloth prometheus/v1 spec (version: prometheus/v1, service, slos)")
    draft = Draft({"version": 1, "service": str(doc["service"])})
    draft.spec["labels"] = _labels(draft, "labels", doc.get("labels"))
    draft.notes.append("window: Sloth specs carry no SLO period (its CLI default is 30d): every SLO uses 30d")
    signals: dict = {}
    selector: dict = {}
    slos = []
    for i, slo in enumerate(doc["slos"]):
        where = f"slos[{i}] {slo.get('name')}"
        sli = slo.get("sli", {})
        if "events" not in sli:
            draft.notes.append(f"{where}: a {'raw' if 'raw' in sli else 'plugin'} SLI has no slogen equivalent: not carried")
            continue
        typed = _typed(draft, where, sli["events"].get("error_query", ""), sli["events"].get("total_query", ""), signals, selector)
        if typed is None:
            continue
        out = {"name": slo["name"], "objective": float(slo["objective"]), "window": "30d", "sli": typed}
        if slo.get("description"):
            out["description"] = slo["description"]
        if labels := _labels(draft, where, slo.get("labels")):
            out["labels"] = labels
        alerting = slo.get("alerting") or {}
        if alerting.get("name") or alerting.get("page_alert") or alerting.get("ticket_alert") or alerting.get("annotations"):
            draft.notes.append(
                f"{where}: alert name {alerting.get('name')!r}, page/ticket labels and annotations: slogen names its alerts "
                f"({conv.burn_alert(str(doc['service']), slo['name'])}) and sets severity critical/warning; route on those instead"
            )
        for tier in ("page_alert", "ticket_alert"):
            if (alerting.get(tier) or {}).get("disable"):
                out.setdefault("alerting", {})["page" if tier == "page_alert" else "ticket"] = False
        slos.append(out)
    return _finish(draft, signals, selector, slos)


def from_openslo(docs: list[dict]) -> Draft:
    slo_docs = [d for d in docs if isinstance(d, dict) and d.get("kind") == "SLO" and str(d.get("apiVersion", "")).startswith("openslo/")]
    if not slo_docs:
        raise ImportError_("no OpenSLO `kind: SLO` document (apiVersion openslo/v1)")
    services = {d.get("spec", {}).get("service") for d in slo_docs}
    draft = Draft({"version": 1, "service": str(sorted(s for s in services if s)[0] if any(services) else "service")})
    if len(services) > 1:
        draft.notes.append(f"services {sorted(map(str, services))}: one slo.yaml describes one service; all SLOs went to {draft.spec['service']}")
    signals: dict = {}
    selector: dict = {}
    slos = []
    for d in slo_docs:
        name, spec = d.get("metadata", {}).get("name", "slo"), d.get("spec", {})
        where = f"SLO {name}"
        ratio = (spec.get("indicator", {}).get("spec") or {}).get("ratioMetric") or {}
        query = lambda part: ((ratio.get(part) or {}).get("metricSource") or {}).get("spec", {}).get("query", "")  # noqa: E731
        if not (ratio.get("bad") and ratio.get("total")):
            draft.notes.append(f"{where}: only ratioMetric bad/total Prometheus queries are read: not carried")
            continue
        typed = _typed(draft, where, query("bad"), query("total"), signals, selector)
        if typed is None:
            continue
        windows = spec.get("timeWindow") or [{"duration": "30d"}]
        window = str(windows[0].get("duration", "30d"))
        if not windows[0].get("isRolling", True):
            draft.notes.append(f"{where}: calendar-aligned windows are not supported; the {window} window is rolling here")
        objectives = spec.get("objectives") or [{}]
        if len(objectives) > 1:
            draft.notes.append(f"{where}: {len(objectives)} objectives; slogen keeps the first")
        target = objectives[0].get("target")
        out = {"name": name, "objective": round(float(target) * 100, 6) if target is not None else 99.0, "window": window, "sli": typed}
        if desc := spec.get("description"):
            out["description"] = desc
        if spec.get("budgetingMethod", "Occurrences") != "Occurrences":
            draft.notes.append(f"{where}: budgetingMethod {spec['budgetingMethod']}: slogen budgets occurrences")
        slos.append(out)
    return _finish(draft, signals, selector, slos)


def to_openslo(service: ResolvedService) -> list[dict]:
    """Every SLO as an OpenSLO v1 document: a ratio of the same raw series the bundle reads."""
    docs: list[dict] = [{"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": service.name}, "spec": {"description": service.description}}]
    for slo in service.slos:
        sli = slo.sli
        total = f"sum(rate({sli.total}[5m]))"
        if isinstance(sli, RatioSLI):
            bad = f"sum(rate({sli.bad}[5m]))"
        else:
            assert isinstance(sli, HistogramSLI)
            bad = f"{total} - sum(rate({sli.good}[5m]))"
        source = lambda q: {"metricSource": {"type": "Prometheus", "spec": {"query": q}}}  # noqa: E731
        docs.append({
            "apiVersion": "openslo/v1",
            "kind": "SLO",
            "metadata": {"name": slo.name, "labels": {k: v for k, v in slo.labels.items()}},
            "spec": {
                "description": slo.description,
                "service": service.name,
                "indicator": {"metadata": {"name": f"{slo.name}-sli"}, "spec": {"ratioMetric": {"counter": True, "bad": source(bad), "total": source(total)}}},
                "timeWindow": [{"duration": slo.period, "isRolling": True}],
                "budgetingMethod": "Occurrences",
                "objectives": [{"displayName": slo.name, "target": float(slo.objective) / 100}],
            },
        })
    return docs
