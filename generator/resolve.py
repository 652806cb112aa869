"""Spec -> resolved SLOs: profile applied, defaults filled, windows chosen, selectors built. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction

from generator import conventions as conv
from generator import windows as win
from generator.durations import format_number, parse_seconds
from generator import profiles as prof
from generator.profiles import Profile, with_overrides
from generator.promql import Matcher, Selector, Source, le_pattern, matches, regex_literal
from generator.spec.load import Problem
from generator.spec.models import SLO, Notifications, Spec

DEFAULT_MIN_EVENTS = 5
DEFAULT_NODATA_FOR = "5m"


class ResolveError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@dataclass(frozen=True)
class RatioSLI:
    """Bad events are a subset of total events, both counted by one counter."""

    bad: Selector
    total: Selector
    phrase: str

    @property
    def metrics(self) -> frozenset[str]:
        """The exporter's metrics the SLI reads."""
        return frozenset({self.bad.metric, self.total.metric})


@dataclass(frozen=True)
class HistogramSLI:
    """Good events are the bucket at the threshold; total is the histogram's count."""

    good: Selector
    total: Selector
    phrase: str
    threshold: str

    @property
    def metrics(self) -> frozenset[str]:
        """The exporter's metrics the SLI reads."""
        return frozenset({self.good.metric, self.total.metric})


SLIQuery = RatioSLI | HistogramSLI


@dataclass(frozen=True)
class ResolvedSLO:
    service: str
    name: str
    description: str
    category: str
    objective: Fraction  # percent
    period: str
    period_seconds: int
    pairs: tuple[win.BurnPair, ...]
    sli: SLIQuery
    labels: dict[str, str]
    min_events: int
    nodata_for: str
    runbook_base: str
    evaluation_interval: str

    @cached_property
    def budget(self) -> Fraction:
        """Allowed share of bad events, e.g. 0.005 for 99.5%."""
        return (100 - self.objective) / 100

    def pairs_of(self, severity: str) -> tuple[win.BurnPair, ...]:
        """The pairs of one severity, fastest first: the order ties are broken in."""
        return self._by_severity.get(severity, ())

    @cached_property
    def _by_severity(self) -> dict[str, tuple[win.BurnPair, ...]]:  # asked for by every alert and test of the SLO
        return {s: tuple(p for p in self.pairs if p.severity == s) for s in dict.fromkeys(p.severity for p in self.pairs)}

    @cached_property
    def objective_text(self) -> str:
        return format_number(float(self.objective))

    @property
    def windows(self) -> tuple[str, ...]:
        """Every window recorded: the alerts' windows, then the period."""
        names = {w for p in self.pairs for w in (p.long, p.short)} | {conv.RATE_BASE_WINDOW, "1h", self.period}
        return tuple(sorted(names, key=parse_seconds))

    @property
    def identity(self) -> dict[str, str]:
        """Labels that name this SLO's recordings."""
        return {conv.LABEL_SLO: self.name, conv.LABEL_SERVICE: self.service}

    @cached_property
    def identity_items(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.identity.items())

    @cached_property
    def identity_matchers(self) -> str:
        """`{slo="...", service="..."}`: what every recording of this SLO is read by."""
        return str(Selector("", tuple(Matcher(k, "=", v) for k, v in self.identity_items)))

    @property
    def burn_alert(self) -> str:
        return conv.burn_alert(self.service, self.name)

    @property
    def nodata_alert(self) -> str:
        return conv.nodata_alert(self.service, self.name)


@dataclass(frozen=True)
class ResolvedRateLimits:
    """Rate-limit headroom of one service: the header gauges and the 429 counter, with thresholds."""

    service: str
    remaining: Selector
    limit: Selector
    requests: Selector
    throttled: Selector
    by: dict[str, str | None]  # canonical label -> the exporter's label name
    ok: dict[str, str]
    throttled_labels: dict[str, str]
    warning: Fraction
    critical: Fraction
    warning_for: str
    critical_for: str
    throttled_per_second: float
    throttled_for: str
    stale_after: str
    labels: dict[str, str]
    runbook_base: str


@dataclass(frozen=True)
class Allocation:
    """Part of the spend (some features) with a budget of its own."""

    name: str
    features: tuple[str, ...]
    monthly_usd: float
    max_overspend: Fraction
    labels: dict[str, str]

    @property
    def pace(self) -> float:
        return self.monthly_usd / (30 * 86400)


@dataclass(frozen=True)
class ResolvedCost:
    """Money as an SLO: spend per second against the pace that spends the monthly budget in 30 days."""

    service: str
    tokens: Source
    cost_counter: Selector | None  # the exporter's USD counter, when the spec chose it
    requests: Selector
    by: dict[str, str | None]  # canonical label -> the exporter's label name (None: it has none)
    ok: dict[str, str]  # the labels of a successful request, for test input
    prices: tuple[tuple[str, str, float], ...]  # (model, token type, USD per token)
    default_prices: tuple[tuple[str, float], ...]  # (token type, USD per token)
    monthly_usd: float
    max_overspend: Fraction
    per_request_usd: float | None
    anomaly_factor: float
    pairs: tuple[win.BurnPair, ...]
    labels: dict[str, str]
    runbook_base: str
    allocations: tuple[Allocation, ...] = ()

    @property
    def pace(self) -> float:
        """USD per second that spends exactly the monthly budget in 30 days."""
        return self.monthly_usd / (30 * 86400)


@dataclass(frozen=True)
class ResolvedThresholds:
    """Fixed-threshold operational alerts; a part is None when the spec switched it off."""

    service: str
    labels: dict[str, str]
    runbook_base: str
    ttft_bucket: Selector | None
    ttft_lines: tuple[tuple[str, float, str], ...]  # (severity, seconds, for)
    burst: tuple[Selector, Selector, Fraction, str] | None  # bad, total, share, for
    responses: Selector | None
    truncated: Selector | None
    truncation_share: Fraction
    server_errors: tuple[Selector, Selector, Fraction, str] | None  # 5xx, total, share, for
    tokens: Source
    by: dict[str, str | None]  # canonical label -> the exporter's label name (None: it has none)
    outcome: prof.Outcome
    status_label: str
    stop_values: dict[str, str]  # canonical stop reason -> the exporter's
    cache: tuple[Fraction, Fraction] | None  # steady share, collapsed share
    input_includes_cache: bool  # input tokens already count cache reads and writes (LiteLLM)
    counts_cache_reads: bool  # the tokens tell cache reads apart (the cache share means something)
    duration_sum: Selector | None  # seconds spent in requests, for output speed
    speed_drop: Fraction

    @property
    def prompt_kinds(self) -> tuple[str, str]:
        """(op, token type) selecting every prompt token once."""
        return ("=", "input") if self.input_includes_cache else ("!=", "output")


@dataclass(frozen=True)
class ResolvedService:
    name: str
    description: str
    scrape_interval: str
    profile: Profile
    slos: tuple[ResolvedSLO, ...]
    warnings: tuple[str, ...]
    notifications: Notifications
    namespace: str | None
    target: str
    kubernetes: dict[str, str] | None  # the PrometheusRule's labels when the spec asks for Kubernetes objects, else None
    rate_limits: ResolvedRateLimits | None
    cost: ResolvedCost | None
    thresholds: ResolvedThresholds
    selector: tuple[Matcher, ...] = ()  # the spec's matchers on every raw metric
    runbook_base: str = ""
    grafana_base: str | None = None

    @property
    def dashboard_kinds(self) -> list[str]:
        """The dashboards with something to show: cost needs a cost budget, rate limits their rules."""
        skip = {"cost"} if self.cost is None else set()
        skip |= {"ratelimits"} if self.rate_limits is None else set()
        skip |= {"slos"} if not self.slos else set()
        return [k for k in conv.DASHBOARD_KINDS if k not in skip]


def resolve(spec: Spec) -> ResolvedService:
    """Turn a valid spec into what the compile stages need; ResolveError lists every problem found."""
    problems: list[Problem] = []
    warnings: list[str] = []
    m = spec.metrics
    if spec.target != "prometheus" and m.profile == "otel-genai" and m.naming == "utf8":
        problems.append(
            Problem(("metrics", "naming"), f"naming: utf8 needs Prometheus 3, and target {spec.target} reads escaped names; "
                    "use naming: collector (the Collector's and OTLP receivers' default escaping)")
        )
    if m.profile != "otel-genai":
        for key in ("naming", "provider"):
            if key in m.model_fields_set:
                problems.append(Problem(("metrics", key), f"`{key}` applies to the otel-genai profile only; remove it for profile {m.profile}"))
    profile = with_overrides(
        prof.profile(m.profile, m.naming),
        {k: v.model_dump(exclude_none=True) for k, v in m.signals.items()},
        m.labels.model_dump(),
    )
    slos = []
    seen: set[str] = set()
    for i, slo in enumerate(spec.slos):
        if slo.name in seen:
            problems.append(Problem(("slos", i, "name"), f"SLO name {slo.name!r} is used twice; names must be unique"))
            continue
        seen.add(slo.name)
        try:
            slos.append(_resolve_slo(spec, slo, profile, warnings))
        except ResolveError as exc:
            problems += [Problem(("slos", i, *p.path), p.message) for p in exc.problems]
    problems += _check_notifications(spec.notifications)
    gate = _Gate(profile, problems, warnings)
    cost = None
    if spec.budgets.cost is not None:
        budget = spec.budgets.cost
        at = ("budgets", "cost")
        if budget.source == "tokens" and spec.pricing is None:
            problems.append(Problem(at, "cost from tokens needs a `pricing` table; add one, or set `source: counter` if the exporter counts USD"))
        needs = ["cost"] if budget.source == "counter" else ["tokens"]
        if budget.source == "tokens" and profile.has("tokens") and profile.signals["tokens"].input_includes_cache:
            warnings.append(
                f"profile {profile.name} counts cache reads inside input tokens, so cost from tokens prices them twice; "
                "set budgets.cost.source: counter to use the exporter's own spend"
            )
        if gate.allows(f"cost from {'the USD counter' if budget.source == 'counter' else 'tokens'}", needs, True, (*at, "source")):
            if budget.allocations and profile.label("tokens", conv.LABEL_FEATURE) is None:
                problems.append(
                    Problem((*at, "allocations"), f"profile {profile.name} has no feature label, so spend cannot be split by feature; "
                            "set metrics.labels.feature to the label that holds it, or remove the allocations")
                )
            cost = _cost(spec, profile)
    rate_limits = None
    rl = spec.budgets.rate_limits
    if rl.enabled and gate.allows(
        "rate-limit headroom", ["ratelimit_remaining", "ratelimit_limit"], "rate_limits" in spec.budgets.model_fields_set, ("budgets", "rate_limits"),
        "set budgets.rate_limits.enabled: false to silence this",
    ):
        rate_limits = _rate_limits(spec, profile)
    thresholds = _thresholds(spec, profile, slos, gate)
    if problems:
        raise ResolveError(problems)
    return ResolvedService(
        name=spec.service,
        description=spec.description,
        scrape_interval=m.scrape_interval,
        profile=profile,
        slos=tuple(sorted(slos, key=lambda s: s.name)),
        warnings=tuple(warnings),
        notifications=spec.notifications,
        namespace=spec.kubernetes.namespace,
        target=spec.target,
        kubernetes=dict(spec.kubernetes.rule_labels) if "kubernetes" in spec.model_fields_set else None,
        rate_limits=rate_limits,
        cost=cost,
        thresholds=thresholds,
        selector=_matchers(spec, profile),
        runbook_base=spec.links.runbooks,
        grafana_base=spec.links.grafana,
    )


class _Gate:
    """Whether the profile has what a part of the bundle reads: a spec error where the user asked for it, else a warning."""

    def __init__(self, profile: Profile, problems: list[Problem], warnings: list[str]) -> None:
        self.profile, self.problems, self.warnings = profile, problems, warnings

    def allows(self, what: str, needs: list[str], explicit: bool, at: tuple, silence: str = "") -> bool:
        lacking = [n for n in needs if not self.profile.has(n)]
        if not lacking:
            return True
        name = lacking[0]
        hint = self.profile.missing.get(name, f"a {name} metric")
        message = (
            f"profile {self.profile.name} has no `{name}` signal, so {what} cannot be computed; export {hint}, "
            f"then name it under metrics.signals.{name}.metric"
        )
        if explicit:
            self.problems.append(Problem(at, message))
        else:
            self.warnings.append(f"{message}; left out{'; ' + silence if silence else ''}")
        return False


def _tokens(spec: Spec, profile: Profile) -> Source:
    signal = profile.signals["tokens"]
    if signal.parts:
        return Source(tuple((_selector(spec, profile, metric), kind) for kind, metric in signal.parts), conv.LABEL_TOKEN_TYPE)
    return Source.of(_signal(spec, profile, "tokens"), conv.LABEL_TOKEN_TYPE, profile.label("tokens", "token_type"))


def _by(profile: Profile, signal: str, *names: str) -> dict[str, str | None]:
    return {n: profile.label(signal, "token_type" if n == conv.LABEL_TOKEN_TYPE else n) for n in names}


def _thresholds(spec: Spec, profile: Profile, slos: list[ResolvedSLO], gate: _Gate) -> ResolvedThresholds:
    a = spec.alerts
    outcome = profile.outcome
    status = profile.label("requests", "status") or ""
    ratio = next((s.sli for s in slos if isinstance(s.sli, RatioSLI)), None)
    if ratio is None:
        total = _signal(spec, profile, "requests")
        ratio = RatioSLI(total.plus(Matcher(status, "!~", outcome.good)), total, "")
    requests = _signal(spec, profile, "requests")

    def on(name: str, needs: list[str]) -> bool:
        part = getattr(a, name)
        return part.enabled and gate.allows(f"the {name} alert", needs, "enabled" in part.model_fields_set, ("alerts", name, "enabled"),
                                            f"set alerts.{name}.enabled: false to silence this")

    ttft = on("ttft_p95", ["ttft"])
    truncations = on("truncations", ["responses"]) and profile.label("responses", "stop_reason") is not None
    server = a.server_errors.enabled and outcome.server_errors is not None
    if a.server_errors.enabled and outcome.server_errors is None:
        gate.warnings.append(f"profile {profile.name} does not tell server errors apart ({outcome.doc}); the server_errors alert is left out")
    has_tokens = profile.has("tokens")
    tokens = _tokens(spec, profile) if has_tokens else Source((), conv.LABEL_TOKEN_TYPE)
    counts_cache = has_tokens and not tokens.only("=", "cache_read").empty and "cache_reads" not in profile.missing
    cache = on("cache_reads", ["tokens"]) and counts_cache
    if a.cache_reads.enabled and has_tokens and not counts_cache:
        why = profile.missing.get("cache_reads", "its tokens have no cache_read type")
        gate.warnings.append(
            f"profile {profile.name} cannot tell cache-read tokens apart ({why}); the cache_reads alert is left out; "
            "set alerts.cache_reads.enabled: false to silence this"
        )
    speed = on("output_speed", ["tokens", "duration"])
    stop = profile.label("responses", "stop_reason") or ""
    stop_values = profile.signals["responses"].values if profile.has("responses") else {}
    responses = _signal(spec, profile, "responses") if truncations else None
    return ResolvedThresholds(
        service=spec.service,
        labels=_service_labels(spec),
        runbook_base=spec.links.runbooks,
        ttft_bucket=_signal(spec, profile, "ttft", "_bucket") if ttft else None,
        ttft_lines=(
            (conv.SEVERITY_TICKET, parse_seconds(a.ttft_p95.warning), a.ttft_p95.warning_for),
            (conv.SEVERITY_PAGE, parse_seconds(a.ttft_p95.critical), a.ttft_p95.critical_for),
        ),
        burst=(ratio.bad, ratio.total, Fraction(repr(a.error_burst.ratio)) / 100, a.error_burst.hold) if a.error_burst.enabled else None,
        responses=responses,
        truncated=responses.plus(Matcher(stop, "=", stop_values.get("max_tokens", "max_tokens"))) if responses is not None else None,
        truncation_share=Fraction(repr(a.truncations.ratio)) / 100,
        server_errors=(
            requests.plus(Matcher(status, "=~", outcome.server_errors or "")), requests, _fraction(a.server_errors.ratio), a.server_errors.hold
        )
        if server
        else None,
        tokens=tokens,
        by=_by(profile, "tokens", conv.LABEL_MODEL, conv.LABEL_FEATURE, conv.LABEL_TOKEN_TYPE),
        outcome=outcome,
        status_label=status,
        stop_values=dict(stop_values),
        cache=(_fraction(a.cache_reads.steady), _fraction(a.cache_reads.collapsed)) if cache else None,
        counts_cache_reads=counts_cache,
        input_includes_cache=has_tokens and profile.signals["tokens"].input_includes_cache,
        duration_sum=_signal(spec, profile, "duration", "_sum") if speed else None,
        speed_drop=_fraction(a.output_speed.drop),
    )


def _fraction(percent: float) -> Fraction:
    return Fraction(repr(percent)) / 100


TOKEN_TYPES = ("input", "output", "cache_write", "cache_read")




def _cost(spec: Spec, profile: Profile) -> ResolvedCost:
    budget = spec.budgets.cost
    assert budget is not None
    prices: list[tuple[str, str, float]] = []
    defaults: list[tuple[str, float]] = []
    if spec.pricing is not None:
        for model, price in sorted(spec.pricing.models.items()):
            prices += [(model, t, getattr(price, t) / 1e6) for t in TOKEN_TYPES]
        fallback = spec.pricing.default
        defaults = [
            (t, (getattr(fallback, t) if fallback else max(getattr(p, t) for p in spec.pricing.models.values())) / 1e6)
            for t in TOKEN_TYPES
        ]
    counter = budget.source == "counter"
    return ResolvedCost(
        service=spec.service,
        tokens=_tokens(spec, profile) if not counter else Source((), conv.LABEL_TOKEN_TYPE),
        cost_counter=_signal(spec, profile, "cost") if counter else None,
        requests=_signal(spec, profile, "requests"),
        by=_by(profile, "cost" if counter else "tokens", conv.LABEL_MODEL, conv.LABEL_FEATURE, conv.LABEL_TOKEN_TYPE),
        ok=profile.outcome_labels("200"),
        prices=tuple(prices),
        default_prices=tuple(defaults),
        monthly_usd=budget.monthly_usd,
        max_overspend=_fraction(budget.max_overspend),
        per_request_usd=budget.per_request_usd,
        anomaly_factor=budget.anomaly_factor,
        pairs=win.catalogs()[30 * 86400].pairs,
        labels=_service_labels(spec),
        runbook_base=spec.links.runbooks,
        allocations=tuple(
            Allocation(
                name=name,
                features=tuple(a.features or (name,)),
                monthly_usd=a.monthly_usd,
                max_overspend=_fraction(a.max_overspend if a.max_overspend is not None else budget.max_overspend),
                labels=dict(a.labels),
            )
            for name, a in sorted(budget.allocations.items())
        ),
    )


def _service_labels(spec: Spec) -> dict[str, str]:
    return {**spec.labels, **({"namespace": spec.kubernetes.namespace} if spec.kubernetes.namespace else {})}


def _rate_limits(spec: Spec, profile: Profile) -> ResolvedRateLimits:
    rl = spec.budgets.rate_limits
    requests = _signal(spec, profile, "requests")
    status = profile.label("requests", "status") or ""
    throttled = profile.outcome.throttled
    return ResolvedRateLimits(
        service=spec.service,
        remaining=_signal(spec, profile, "ratelimit_remaining"),
        limit=_signal(spec, profile, "ratelimit_limit"),
        requests=requests,
        throttled=requests.plus(matches(status, throttled or "429")),
        by={conv.LABEL_MODEL: profile.label("ratelimit_remaining", "model"), conv.LABEL_DIMENSION: profile.label("ratelimit_remaining", "dimension")},
        ok=profile.outcome_labels("200"),
        throttled_labels=profile.outcome_labels("429"),
        warning=Fraction(repr(rl.warning)) / 100,
        critical=Fraction(repr(rl.critical)) / 100,
        warning_for=rl.warning_for,
        critical_for=rl.critical_for,
        throttled_per_second=rl.throttled_per_second,
        throttled_for=rl.throttled_for,
        stale_after=rl.stale_after,
        labels=_service_labels(spec),
        runbook_base=spec.links.runbooks,
    )


def _check_notifications(n: Notifications) -> list[Problem]:
    """Every name a route uses must be defined; email needs a mail relay."""
    at = ("notifications",)
    problems = []
    known = sorted(n.receivers)
    hint = f"defined receivers: {', '.join(known)}" if known else "define it under notifications.receivers"
    for i, route in enumerate(n.routes):
        for j, name in enumerate(route.receivers):
            if name not in n.receivers:
                problems.append(Problem((*at, "routes", i, "receivers", j), f"receiver {name!r} is not defined; {hint}"))
        for key in ("active_time_intervals", "mute_time_intervals"):
            for j, name in enumerate(getattr(route, key)):
                if name not in n.time_intervals:
                    problems.append(Problem((*at, "routes", i, key, j), f"time interval {name!r} is not defined under notifications.time_intervals"))
    if n.default_receiver is not None and n.default_receiver not in n.receivers:
        problems.append(Problem((*at, "default_receiver"), f"receiver {n.default_receiver!r} is not defined; {hint}"))
    if n.smtp is None:
        for name, receiver in n.receivers.items():
            if receiver.email is not None:
                problems.append(Problem((*at, "receivers", name, "email"), "email needs a mail relay: add notifications.smtp with smarthost and from"))
    return problems


def _resolve_slo(spec: Spec, slo: SLO, profile: Profile, warnings: list[str]) -> ResolvedSLO:
    period_seconds = int(parse_seconds(slo.window))
    catalog = win.catalogs().get(period_seconds)
    if catalog is None:
        raise ResolveError(
            [Problem(("window",), f"{slo.window!r} has no burn-rate window table; use one of {', '.join(win.supported_periods())}")]
        )
    objective = Fraction(repr(slo.objective))
    budget = (100 - objective) / 100
    page = _pick(slo.alerting.page, spec.alerting.page, True)
    ticket = _pick(slo.alerting.ticket, spec.alerting.ticket, True)
    pairs = []
    for pair in catalog.pairs:
        if not (page if pair.severity == conv.SEVERITY_PAGE else ticket):
            continue
        if pair.factor * budget >= 1:
            # A burn this fast needs more than 100% bad events: the pair could never fire.
            warnings.append(
                f"SLO {slo.name}: objective {format_number(float(objective))}% leaves a {format_number(float(budget * 100))}% budget; "
                f"the {pair.long}/{pair.short} {pair.severity} pair at {format_number(float(pair.factor))}x could never fire and is left out"
            )
            continue
        pairs.append(pair)
    if page and _pick(slo.alerting.very_fast, spec.alerting.very_fast, True):
        pages = tuple(p for p in pairs if p.severity == conv.SEVERITY_PAGE)
        very_fast = win.very_fast_pair(catalog, budget, parse_seconds(spec.metrics.scrape_interval), pages)
        if very_fast is not None:
            pairs.insert(0, very_fast)
    sli, category = _sli(spec, slo, profile)
    return ResolvedSLO(
        service=spec.service,
        name=slo.name,
        description=slo.description,
        category=category,
        objective=objective,
        period=catalog.period,
        period_seconds=period_seconds,
        pairs=tuple(pairs),
        sli=sli,
        labels={**_service_labels(spec), **slo.labels},
        min_events=_pick(slo.alerting.min_events, spec.alerting.min_events, DEFAULT_MIN_EVENTS),
        nodata_for=_pick(slo.alerting.nodata_for, spec.alerting.nodata_for, DEFAULT_NODATA_FOR),
        runbook_base=spec.links.runbooks,
        evaluation_interval=spec.metrics.evaluation_interval,
    )


def _pick(*values):  # noqa: ANN002, ANN202 - first value the user set, else the default (last)
    return next(v for v in values if v is not None)


def _matchers(spec: Spec, profile: Profile) -> tuple[Matcher, ...]:
    """The spec's matchers on every raw series, and the provider filter of GenAI metrics."""
    own = tuple(Matcher(k, "=", v) for k, v in spec.metrics.selector.items())
    provider = spec.metrics.provider
    if provider is None:
        return own
    # Either label may carry it (gen_ai.system before semconv 1.37); a series with neither is kept.
    either = f"{regex_literal(provider)}|"
    return own + tuple(Matcher(label, "=~", either) for label in profile.provider_labels)


def _selector(spec: Spec, profile: Profile, metric: str, aliases: tuple[str, ...] = ()) -> Selector:
    return Selector(metric, _matchers(spec, profile), aliases)


def _signal(spec: Spec, profile: Profile, name: str, suffix: str = "") -> Selector:
    signal = profile.signals[name]
    return _selector(spec, profile, signal.metric, signal.aliases).suffixed(suffix)


def _exclusions(profile: Profile, statuses: list[str]) -> str:
    """`exclude_status` in the exporter's spelling: a code, and the name the exporter gives it where it differs."""
    out: list[str] = []
    for status in sorted(set(statuses)):
        spelled = profile.outcome.spell(status) if status in profile.outcome.spellings else status
        if spelled != status:
            out.append(f"(.+\\.)?{regex_literal(spelled)}|{regex_literal(status)}")
        elif profile.outcome.spellings and not status.isdigit():
            out.append(f"(.+\\.)?{regex_literal(status)}")  # a class name, maybe fully qualified
        else:
            out.append(regex_literal(status))
    return "|".join(out)


def _sli(spec: Spec, slo: SLO, profile: Profile) -> tuple[SLIQuery, str]:
    if slo.sli.availability is not None:
        avail = slo.sli.availability
        status = profile.label("requests", "status")
        if status is None:
            raise ResolveError([Problem(("sli", "availability"), f"profile {profile.name} has no status label; name it under metrics.labels.status")])
        total = _signal(spec, profile, "requests")
        if avail.exclude_status:
            if not profile.outcome.codes:
                raise ResolveError(
                    [Problem(("sli", "availability", "exclude_status"), f"profile {profile.name} records no status codes ({profile.outcome.doc}); "
                             "remove exclude_status, or export the HTTP status and name its label under metrics.labels.status")]
                )
            total = total.plus(Matcher(status, "!~", _exclusions(profile, avail.exclude_status)))
        if avail.bad_status is not None and avail.good_status is not None:
            raise ResolveError([Problem(("sli", "availability"), "set good_status or bad_status, not both")])
        good = avail.good_status if avail.good_status is not None else profile.outcome.good
        bad = total.plus(Matcher(status, "=~", avail.bad_status) if avail.bad_status is not None else Matcher(status, "!~", good))
        excluded = f", not counting {', '.join(sorted(set(avail.exclude_status)))}" if avail.exclude_status else ""
        return RatioSLI(bad, total, f"of requests succeed{excluded}"), conv.CATEGORY_AVAILABILITY
    latency = slo.sli.latency
    assert latency is not None  # the model guarantees exactly one kind
    if not profile.has(latency.signal):
        hint = profile.missing.get(latency.signal, f"a {latency.signal} histogram")
        other = "duration" if latency.signal == "ttft" else "ttft"
        raise ResolveError(
            [
                Problem(
                    ("sli", "latency", "signal"),
                    f"profile {profile.name} has no {'time-to-first-token' if latency.signal == 'ttft' else 'duration'} metric; export {hint} "
                    f"and name it under metrics.signals.{latency.signal}.metric"
                    + (f", or use signal: {other}" if profile.has(other) else ""),
                )
            ]
        )
    signal = profile.signals[latency.signal]
    threshold = parse_seconds(latency.threshold)
    if not any(abs(b - threshold) < 1e-9 for b in signal.buckets):
        valid = ", ".join(format_number(b) for b in signal.buckets)
        fix = profile.bucket_fix.format(signal=latency.signal, threshold=format_number(threshold), instrument=signal.instrument or signal.metric)
        raise ResolveError(
            [
                Problem(
                    ("sli", "latency", "threshold"),
                    f"{latency.threshold} is not a bucket boundary of {signal.metric}; valid: {valid} (seconds), or {fix}",
                )
            ]
        )
    total = _signal(spec, profile, latency.signal, "_count")
    good = _signal(spec, profile, latency.signal, "_bucket").plus(Matcher("le", "=~", le_pattern(threshold)))
    what = "time to first token" if latency.signal == "ttft" else "total response time"
    return HistogramSLI(good, total, f"of requests get a {what} within {latency.threshold}", latency.threshold), conv.CATEGORY_LATENCY
