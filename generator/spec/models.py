"""The user-facing spec: what `slo.yaml` may say. Strict: unknown keys are errors.

Field descriptions double as editor help (the JSON Schema written by `slogen schema`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from generator.spec.budgets import (  # noqa: F401  (re-exported: callers import every model from here)
    Allocation,
    Budgets,
    CacheReads,
    CostBudget,
    ErrorBurst,
    ModelPrice,
    OutputSpeed,
    Pricing,
    RateLimitBudget,
    ServerErrors,
    ThresholdAlerts,
    Truncations,
    TtftAlert,
)
from generator.spec.notify import (  # noqa: F401
    SECRET_KEYS,
    Email,
    Grouping,
    Inhibit,
    Notifications,
    Opsgenie,
    PagerDuty,
    Receiver,
    Route,
    Secretless,
    Slack,
    Smtp,
    TimeInterval,
    TimeRange,
    Webhook,
)
from generator import conventions as conv
from generator.durations import parse_seconds
from generator.spec import checks
from generator.spec.strict import Strict
from generator.spec.types import Duration, LabelName, Labels, Name, Number, Percent, Text

MIN_OBJECTIVE = 50.0  # below this, the slow-burn tiers need more bad events than there are events
MAX_SLOS = 1000  # per file, unless the build is told otherwise (`--max-slos`, validation context "max_slos")


# --- metrics -----------------------------------------------------------------------------------


class SignalOverride(Strict):
    """Where one signal lives when your exporter names it differently from the profile."""

    metric: str | None = Field(None, description="Metric name (for histograms, the base name without _bucket/_count).")
    buckets: list[Number] | None = Field(None, description="Histogram bucket upper bounds (`le`) in seconds; latency thresholds must be one of them.")

    @field_validator("metric")
    @classmethod
    def _metric_name(cls, value: str | None) -> str | None:
        # Dotted UTF-8 names (naming: utf8) are checked against the naming by `Metrics`.
        if value is not None and (not value or len(value) > 200 or any(c in value for c in '"\\{}\n\r\x00')):
            raise ValueError(f"{value[:60]!r} is not a metric name; use letters, digits, '_' and ':', e.g. myapp_llm_requests_total")
        return value

    @field_validator("buckets")
    @classmethod
    def _positive(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (not value or any(b <= 0 for b in value) or len(set(value)) != len(value)):
            raise ValueError("bucket bounds must be distinct numbers above 0, in seconds, e.g. [0.5, 1, 2.5, 5]")
        return value


class MetricLabels(Strict):
    """Label names of your metrics, when they differ from the profile's."""

    model: LabelName | None = Field(None, description="Label holding the model name.")
    feature: LabelName | None = Field(None, description="Label holding the product feature.")
    status: LabelName | None = Field(None, description="Label holding the HTTP status code (or `timeout` / `network`).")
    token_type: LabelName | None = Field(None, description="Label holding the token type (input, output, cache_read, cache_write).")
    stop_reason: LabelName | None = Field(None, description="Label holding the stop reason.")
    dimension: LabelName | None = Field(None, description="Label holding the rate-limit dimension.")


SignalName = Literal[
    "requests", "attempts", "ttft", "duration", "tokens", "cost", "responses", "ratelimit_limit", "ratelimit_remaining"
]


class Metrics(Strict):
    """Which metrics the service exports: a profile, plus any override."""

    profile: Literal["prometheus-client", "claude-basic", "otel-genai", "litellm"] = Field(
        "prometheus-client",
        description=(
            "Metric contract of the exporter. `prometheus-client`: the reference names in docs/design.md; `claude-basic`: "
            "`claude_requests_total{status=ok|error}`, `claude_latency_seconds`, `claude_tokens_total{direction}`, "
            "`claude_cost_usd_total`; `otel-genai`: OpenTelemetry GenAI metrics (OpenLLMetry, openai-v2, OpenLIT), failures "
            "told by `error_type`; `litellm`: the LiteLLM proxy's `callbacks: [prometheus]` metrics."
        ),
    )
    naming: Literal["python", "collector", "collector-no-suffixes", "utf8"] = Field(
        "python",
        description=(
            "otel-genai only: how the OTel names reached Prometheus. `python`: opentelemetry-exporter-prometheus scraped; "
            "`collector`: the Collector's prometheus/prometheusremotewrite exporters or Prometheus' OTLP receiver with underscore "
            "escaping (the default); `collector-no-suffixes`: `add_metric_suffixes: false` / UnderscoreEscapingWithoutSuffixes; "
            "`utf8`: Prometheus 3 OTLP without escaping (quoted dotted names; the bundle then needs Prometheus 3)."
        ),
    )
    provider: str | None = Field(
        None,
        description=(
            "otel-genai only: read only this GenAI provider, e.g. `anthropic`; matched on `gen_ai_provider_name` and the older "
            "`gen_ai_system`. Series with neither label are kept (OpenLLMetry records some failures without it)."
        ),
    )
    scrape_interval: Duration = Field("30s", description="How often Prometheus scrapes the service; rate windows are checked against it.")
    evaluation_interval: Duration = Field(
        "1m", description="How often slogen's rule groups are evaluated (written as each group's `interval`); event counts depend on it."
    )
    selector: Labels = Field(
        default_factory=dict, description='Label matchers added to every raw metric selector, e.g. `{job: claude-assistant}`.'
    )
    labels: MetricLabels = Field(default_factory=MetricLabels, description="Label name overrides.")
    signals: dict[SignalName, SignalOverride] = Field(
        default_factory=dict,
        description="Per-signal overrides of metric names and buckets. With otel-genai and slogen.instrument's meter, "
        "`attempts: {}` reads its slogen_client_attempts_total (the upstream-degraded alert needs it).",
    )

    @model_validator(mode="after")
    def _readable(self) -> Metrics:
        # A metric name Prometheus 2 cannot parse; only Prometheus 3's quoted names (naming: utf8) may hold more.
        for name, signal in self.signals.items():
            if signal.metric is not None and self.naming != "utf8" and not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", signal.metric):
                raise ValueError(f"signals.{name}.metric {signal.metric[:60]!r} is not a Prometheus metric name; use letters, digits, "
                                 "'_' and ':', not starting with a digit (dotted names need naming: utf8 and Prometheus 3)")
        shortest = parse_seconds(conv.RATE_BASE_WINDOW)
        if 2 * parse_seconds(self.scrape_interval) > shortest:
            raise ValueError(f"scrape_interval {self.scrape_interval} leaves fewer than two scrapes in the {conv.RATE_BASE_WINDOW} burn "
                             f"windows, so rate() sees nothing; scrape at least every {shortest / 2:g}s")
        if parse_seconds(self.evaluation_interval) > shortest:
            raise ValueError(f"evaluation_interval {self.evaluation_interval} is longer than the {conv.RATE_BASE_WINDOW} burn windows, "
                             f"so alerts would skip whole windows; evaluate at least every {conv.RATE_BASE_WINDOW}")
        return self

# --- SLOs --------------------------------------------------------------------------------------


class AvailabilitySLI(Strict):
    """Share of requests that fail. Anything not in `good_status` fails, timeouts and network errors included."""

    good_status: str | None = Field(
        None,
        description=(
            "Regular expression of the status label's values that count as success. Default per profile: `2..` "
            "(prometheus-client, litellm), `ok` (claude-basic), empty `error_type` (otel-genai)."
        ),
    )
    bad_status: str | None = Field(
        None,
        description="Instead of good_status: regular expression of the status values that count as failures, e.g. `5..|429` (as Sloth specs say it).",
    )
    exclude_status: list[str] = Field(
        default_factory=list,
        description=(
            "Statuses that burn no budget (client errors): left out of both errors and total. HTTP codes in every profile "
            "that has them: prometheus-client and litellm match the code, otel-genai matches the SDK's exception class for it "
            "(400 BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 413 "
            "RequestTooLargeError, 422 UnprocessableEntityError) or the code; a class name is matched as given. "
            "claude-basic has no codes."
        ),
    )


    @field_validator("good_status", "bad_status")
    @classmethod
    def _re2(cls, value: str | None) -> str | None:
        return None if value is None else checks.re2(value)


class LatencySLI(Strict):
    """Share of requests slower than a threshold, read from histogram buckets."""

    signal: Literal["ttft", "duration"] = Field(description="`ttft`: time to first token; `duration`: total response time.")
    threshold: Duration = Field(description="Slowest acceptable time; must be a bucket boundary of the signal's histogram, e.g. 3s.")


class SLI(Strict):
    """Exactly one kind of indicator."""

    availability: AvailabilitySLI | None = None
    latency: LatencySLI | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> SLI:
        kinds = [k for k in ("availability", "latency") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of 'availability' or 'latency' (got {len(kinds)})")
        return self


class Alerting(Strict):
    """How burn-rate alerts behave; set once for the service, override per SLO."""

    page: bool | None = Field(None, description="Emit the page tier (severity critical). Default true.")
    ticket: bool | None = Field(None, description="Emit the ticket tier (severity warning). Default true.")
    very_fast: bool | None = Field(
        None,
        description="Add a very-fast page pair (5m/1m and longer) where the Workbook's 1h/5m pair pages a total outage late, "
        "as it does below about 99.9%; `slogen explain` shows its threshold and detection time. Default true.",
    )
    min_events: int | None = Field(
        None, ge=0, le=1_000_000, description="Bad events the long window must hold before a burn alert fires, so one failure at low traffic never pages. Default 5."
    )
    nodata_for: Duration | None = Field(None, description="How long the SLI's metric must be absent before the no-data alert fires. Default 5m.")


class SLO(Strict):
    name: Name = Field(description="Short name, unique in the file; used in alert labels, rule names and file names.")
    description: Text = Field("", description="What this SLO protects, in plain words; shown in alerts and runbooks.")
    objective: Percent = Field(description="Target share of good events, in percent, e.g. 99.5.")
    window: Duration = Field("30d", description="Rolling period of the error budget: 7d, 28d or 30d.")
    sli: SLI
    labels: Labels = Field(default_factory=dict, description="Extra labels on this SLO's alerts.")
    alerting: Alerting = Field(default_factory=Alerting)
    group_by: list[str] = Field(
        default_factory=list,
        max_length=2,
        description=(
            "Also alert per value of these labels (`[model]`, `[feature]`, or both), beside the service-wide SLO, which stays as it is: "
            "a model carrying 5% of traffic and failing every request pages within minutes instead of hiding under the service's "
            "thresholds. Each name is a label the profile carries on the SLI's metric (`model`, `feature`); per-request labels "
            "(request, trace, span, user or session ids) are refused: every value adds its own recordings and alerts. "
            "Per group: the same objective, windows, thresholds and min_events; no per-group no-data alert (a group that "
            "goes quiet is traffic moving, not an outage). The service-wide page of the SLO inhibits its per-group alerts."
        ),
    )

    @field_validator("group_by")
    @classmethod
    def _group_by_bounded(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.match(conv.LABEL_NAME_PATTERN, name) or name.startswith("__"):
                raise ValueError(f"{name!r} is not a Prometheus label name")
            if conv.unbounded_label(name):
                raise ValueError(
                    f"{name!r} is unbounded by nature (one value per request, trace, user or session): grouping by it would add "
                    "recordings and alerts for every value, without end; keep such ids in logs and traces, and group by model or feature"
                )
        if len(set(value)) != len(value):
            raise ValueError("a label is listed twice")
        return value

    @field_validator("objective")
    @classmethod
    def _objective_range(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError(f"{value:g} must be above 0 and below 100 (percent): 100 leaves no error budget to alert on")
        if value < MIN_OBJECTIVE:
            raise ValueError(
                f"{value:g}% leaves a {100 - value:g}% error budget, too loose for burn-rate alerts (they need the budget under "
                f"{100 - MIN_OBJECTIVE:g}% of events); write the share of good events, e.g. 99.5 for 99.5%, at least {MIN_OBJECTIVE:g}"
            )
        return value


class Links(Strict):
    runbooks: str = Field("", description="Base URL where out/runbooks/ is published; alerts link <base>/runbooks/<alert>.md.")
    grafana: str | None = Field(
        None, description="Base URL of the Grafana that loads out/grafana/, e.g. https://grafana.example.com; alerts then carry a `dashboard_url`."
    )

    @field_validator("runbooks", "grafana")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        # Copied into alert annotations, which Prometheus expands as Go templates.
        return None if value is None else checks.link_base(value)


class Kubernetes(Strict):
    """Set it, and out/kubernetes/ holds a PrometheusRule, the AlertmanagerConfig, dashboard ConfigMaps and a kustomization.yaml."""

    namespace: checks.DnsLabel | None = Field(
        None,
        description="Namespace of the generated objects. prometheus-operator only routes alerts whose `namespace` label "
        "equals the AlertmanagerConfig's, so when set every alert carries that label.",
    )
    rule_labels: Labels = Field(
        default_factory=dict,
        description="Labels on the PrometheusRule, for the operator's ruleSelector, e.g. `{release: kube-prometheus-stack}`.",
    )


# --- the file ----------------------------------------------------------------------------------


class Spec(Strict):
    """slo.yaml: what good means for one LLM-backed service, and who is told when it is not."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="slogen spec")

    version: Literal[1] = Field(description="Spec format version; only 1 exists.")
    service: Name = Field(description="Service name; every alert carries it as the `service` label.")
    description: Text = Field("", description="What the service does.")
    labels: Labels = Field(default_factory=dict, description="Labels added to every alert, e.g. {team: ai-platform}.")
    links: Links = Field(default_factory=Links)
    metrics: Metrics = Field(default_factory=Metrics)
    pricing: Pricing | None = None
    alerting: Alerting = Field(default_factory=Alerting, description="Defaults for every SLO's alerts.")
    slos: list[SLO] = Field(min_length=1, description=f"The service level objectives (at most {MAX_SLOS}).")
    budgets: Budgets = Field(default_factory=Budgets)
    alerts: ThresholdAlerts = Field(default_factory=ThresholdAlerts)
    notifications: Notifications = Field(default_factory=Notifications)
    kubernetes: Kubernetes = Field(default_factory=Kubernetes)
    target: Literal["prometheus", "victoriametrics", "mimir", "thanos"] = Field(
        "prometheus",
        description=(
            "The engine that evaluates the rules. Every target gets the same rule file, written in the fields all four accept "
            "(no query_offset, keep_firing_for, group labels or partial_response_strategy); `slogen lint` then also runs that "
            "engine's own check where it is installed (`vmalert -dryRun` for victoriametrics). See README for load commands."
        ),
    )

    @field_validator("slos", mode="before")
    @classmethod
    def _not_too_many(cls, value: object, info: ValidationInfo) -> object:
        # Checked before the items: a runaway generated file fails in milliseconds, not minutes.
        limit = (info.context or {}).get("max_slos", MAX_SLOS)
        if isinstance(value, list) and len(value) > limit:
            raise ValueError(
                f"{len(value)} SLOs in one file; slogen builds at most {limit} per service (each adds about 35 rules, "
                "a dashboard row and its promtool checks): split it into one slo.yaml per service or component, "
                f"or pass --max-slos {len(value)} if one service really has that many"
            )
        return value
