"""The user-facing spec: what `slo.yaml` may say. Strict: unknown keys are errors.

Field descriptions double as editor help (the JSON Schema written by `slogen schema`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from generator.spec.types import Duration, Labels, Name, Percent, Share


MAX_SLOS = 1000  # per file, unless the build is told otherwise (`--max-slos`, validation context "max_slos")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- metrics -----------------------------------------------------------------------------------


class SignalOverride(Strict):
    """Where one signal lives when your exporter names it differently from the profile."""

    metric: str | None = Field(None, description="Metric name (for histograms, the base name without _bucket/_count).")
    buckets: list[float] | None = Field(None, description="Histogram bucket upper bounds (`le`) in seconds; latency thresholds must be one of them.")


class MetricLabels(Strict):
    """Label names of your metrics, when they differ from the profile's."""

    model: str | None = Field(None, description="Label holding the model name.")
    feature: str | None = Field(None, description="Label holding the product feature.")
    status: str | None = Field(None, description="Label holding the HTTP status code (or `timeout` / `network`).")
    token_type: str | None = Field(None, description="Label holding the token type (input, output, cache_read, cache_write).")
    stop_reason: str | None = Field(None, description="Label holding the stop reason.")
    dimension: str | None = Field(None, description="Label holding the rate-limit dimension.")


SignalName = Literal[
    "requests", "ttft", "duration", "tokens", "cost", "responses", "ratelimit_limit", "ratelimit_remaining"
]


class Metrics(Strict):
    """Which metrics the service exports: a profile, plus any override."""

    profile: Literal["prometheus-client", "claude-basic", "otel-genai", "litellm"] = Field(
        "prometheus-client",
        description=(
            "Metric contract of the exporter. `prometheus-client`: the reference names in DESIGN.md; `claude-basic`: "
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
    signals: dict[SignalName, SignalOverride] = Field(default_factory=dict, description="Per-signal overrides of metric names and buckets.")


# --- pricing and budgets -----------------------------------------------------------------------


class ModelPrice(Strict):
    """USD per million tokens."""

    input: float = Field(ge=0, description="Fresh input tokens.")
    output: float = Field(ge=0, description="Output tokens.")
    cache_write: float = Field(0, ge=0, description="Prompt-cache writes.")
    cache_read: float = Field(0, ge=0, description="Prompt-cache reads.")


class Pricing(Strict):
    """Prices per model, dated: prices change and the spec must say when they were true."""

    as_of: dt.date = Field(description="Date the prices were copied from the provider's price list.")
    models: dict[str, ModelPrice] = Field(description="Model name (as in the `model` label) to its prices.")
    default: ModelPrice | None = Field(
        None, description="Price of tokens from a model not listed (an info alert names it). Default: the highest listed price per token type."
    )


class Allocation(Strict):
    """A share of the spend with its own monthly budget: one feature, or the features a team owns."""

    features: list[str] | None = Field(None, min_length=1, description="Values of the feature label it covers. Default: the allocation's name.")
    monthly_usd: float = Field(gt=0, description="Its spend budget for 30 days, in USD.")
    max_overspend: Percent | None = Field(None, description="Forecast line for this allocation. Default: the service's.")
    labels: Labels = Field(default_factory=dict, description="Extra labels on its alerts, e.g. `{team: search}` to route them to that team.")


class CostBudget(Strict):
    monthly_usd: float = Field(gt=0, description="Spend budget for 30 days, in USD.")
    max_overspend: Percent = Field(120, description="Alert when the current pace puts 30-day spend above this share of the budget.")
    per_request_usd: float | None = Field(None, gt=0, description="Alert when the average cost of a request exceeds this.")
    source: Literal["tokens", "counter"] = Field(
        "tokens", description="`tokens`: cost is tokens x pricing; `counter`: the exporter's own USD counter (signal `cost`)."
    )
    anomaly_factor: float = Field(3, gt=1, description="Alert when spend over 15m runs this many times above its 1-day average.")
    allocations: dict[Name, Allocation] = Field(
        default_factory=dict,
        description="Budgets of their own for some features or teams, e.g. `{search-team: {features: [search, rerank], monthly_usd: 800}}`.",
    )


class RateLimitBudget(Strict):
    """Headroom under the provider's rate limits, read from the `anthropic-ratelimit-*` header gauges."""

    enabled: bool = Field(True, description="Emit the rate-limit rules and alerts.")
    warning: Percent = Field(80, description="Utilisation (1 - remaining/limit) of any model and dimension that raises a warning.")
    critical: Percent = Field(90, description="Utilisation that pages.")
    warning_for: Duration = Field("5m", description="How long utilisation must stay above `warning` before the warning.")
    critical_for: Duration = Field("2m", description="How long utilisation must stay above `critical` before the page.")
    throttled_per_second: float = Field(0.1, gt=0, description="429 responses per second, per model, that raise a warning.")
    throttled_for: Duration = Field("5m", description="How long the 429 rate must stay above that before alerting.")
    stale_after: Duration = Field("15m", description="Alert when the remaining-gauge has not changed this long while requests flow.")

    @model_validator(mode="after")
    def _ordered(self) -> RateLimitBudget:
        if not 0 < self.warning < self.critical <= 100:
            raise ValueError(f"need 0 < warning < critical <= 100 (got warning {self.warning:g}, critical {self.critical:g})")
        return self


class TtftAlert(Strict):
    """p95 time to first token, from the ttft histogram."""

    enabled: bool = True
    warning: Duration = Field("5s", description="p95 above this raises a warning...")
    warning_for: Duration = Field("5m", description="...once it lasts this long.")
    critical: Duration = Field("15s", description="p95 above this pages...")
    critical_for: Duration = Field("3m", description="...once it lasts this long.")


class ErrorBurst(Strict):
    """A burst of failed requests too short for the burn-rate alerts to care about yet."""

    enabled: bool = True
    ratio: Percent = Field(5, description="Share of failed requests over 2m windows...")
    hold: Duration = Field(
        "5m", alias="for", description="...sustained this long raises a warning. Longer than a 3-minute blip, which the SLO budget absorbs."
    )


class Truncations(Strict):
    """Responses cut off by max_tokens: users get half answers."""

    enabled: bool = True
    ratio: Percent = Field(10, description="Share of responses with stop_reason max_tokens over 1h that raises a warning.")


class ServerErrors(Strict):
    """Server-side failures (5xx, including 529 overloaded) that go on: the provider, not a blip."""

    enabled: bool = True
    ratio: Share = Field(1, description="Share of requests answered 5xx/529 over both 15m and 5m...")
    hold: Duration = Field("10m", alias="for", description="...for this long raises a warning.")


class CacheReads(Strict):
    """Prompt caching that stopped working: the cache-read share of input tokens falls to zero."""

    enabled: bool = True
    steady: Share = Field(10, description="A feature whose cache-read share stayed above this for the previous 6h counts as caching...")
    collapsed: Share = Field(1, description="...and warns when the share over 30m falls below this.")

    @model_validator(mode="after")
    def _ordered(self) -> CacheReads:
        if self.collapsed >= self.steady:
            raise ValueError(f"collapsed ({self.collapsed:g}%) must be below steady ({self.steady:g}%)")
        return self


class OutputSpeed(Strict):
    """Output tokens per second of request time, per model, against the model's own last day."""

    enabled: bool = True
    drop: Share = Field(50, description="Warn when the 30m speed of a model falls this far below its 1-day average.")


class ThresholdAlerts(Strict):
    """Operational alerts with fixed thresholds, beside the SLOs' burn rates."""

    ttft_p95: TtftAlert = Field(default_factory=TtftAlert)
    error_burst: ErrorBurst = Field(default_factory=ErrorBurst)
    server_errors: ServerErrors = Field(default_factory=ServerErrors)
    truncations: Truncations = Field(default_factory=Truncations)
    cache_reads: CacheReads = Field(default_factory=CacheReads)
    output_speed: OutputSpeed = Field(default_factory=OutputSpeed)


class Budgets(Strict):
    cost: CostBudget | None = None
    rate_limits: RateLimitBudget = Field(default_factory=RateLimitBudget)


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
        None, ge=0, description="Bad events the long window must hold before a burn alert fires, so one failure at low traffic never pages. Default 5."
    )
    nodata_for: Duration | None = Field(None, description="How long the SLI's metric must be absent before the no-data alert fires. Default 5m.")


class SLO(Strict):
    name: Name = Field(description="Short name, unique in the file; used in alert labels, rule names and file names.")
    description: str = Field("", description="What this SLO protects, in plain words; shown in alerts and runbooks.")
    objective: Percent = Field(description="Target share of good events, in percent, e.g. 99.5.")
    window: Duration = Field("30d", description="Rolling period of the error budget: 7d, 28d or 30d.")
    sli: SLI
    labels: Labels = Field(default_factory=dict, description="Extra labels on this SLO's alerts.")
    alerting: Alerting = Field(default_factory=Alerting)

    @field_validator("objective")
    @classmethod
    def _objective_range(cls, value: float) -> float:
        if not 0 < value < 100:
            raise ValueError(f"{value:g} must be above 0 and below 100 (percent): 100 leaves no error budget to alert on")
        return value


# --- notifications -----------------------------------------------------------------------------

# Keys that hold credentials in Alertmanager; the spec only ever names a file that holds them.
SECRET_KEYS = ("api_url", "routing_key", "service_key", "api_key", "auth_password", "password", "token", "webhook_url")


def _refuse_literal_secrets(kind: str, data: object) -> object:
    if isinstance(data, dict):
        for key in SECRET_KEYS:
            if key in data:
                raise ValueError(
                    f"{kind}.{key} would put a secret in slo.yaml and out/; store it in a file Alertmanager can read "
                    f"and write `{key}_file: /etc/alertmanager/secrets/...` instead"
                )
    return data


class Secretless(Strict):
    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: object) -> object:
        return _refuse_literal_secrets(cls.__name__.lower(), data)


class Slack(Secretless):
    channel: str = Field(description="Channel to post to, e.g. '#claude-api-alerts'.")
    api_url_file: str = Field(description="File holding the Slack webhook URL (a secret: never put the URL itself here).")


class PagerDuty(Secretless):
    routing_key_file: str = Field(description="File holding the Events v2 routing key.")


class Email(Secretless):
    to: list[str] = Field(min_length=1, description="Recipients.")


class Webhook(Secretless):
    url: str = Field(description="Endpoint URL. Alertmanager 0.25 cannot read it from a file, so it must carry no credentials.")

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        if "@" in value.split("/")[2 if "//" in value else 0] or any(t in value.lower() for t in ("token=", "key=", "secret=")):
            raise ValueError("the URL carries credentials; put them behind a proxy or use a receiver that reads a *_file")
        return value


class Opsgenie(Secretless):
    api_key_file: str = Field(description="File holding the Opsgenie API key.")


class Receiver(Strict):
    """Where notifications go; one or more integrations."""

    slack: Slack | None = None
    pagerduty: PagerDuty | None = None
    email: Email | None = None
    webhook: Webhook | None = None
    opsgenie: Opsgenie | None = None

    @model_validator(mode="after")
    def _some_integration(self) -> Receiver:
        if not any((self.slack, self.pagerduty, self.email, self.webhook, self.opsgenie)):
            raise ValueError("give at least one of slack, pagerduty, email, webhook, opsgenie")
        return self


class Grouping(Strict):
    group_by: list[str] | None = Field(None, description="Labels that group alerts into one notification.")
    group_wait: Duration | None = Field(None, description="How long to wait for more alerts of a new group.")
    group_interval: Duration | None = Field(None, description="How long to wait before notifying about changes to a group.")
    repeat_interval: Duration | None = Field(None, description="How long to wait before repeating a notification.")


class Route(Grouping):
    match: dict[str, str] = Field(default_factory=dict, description="Alert labels that must all be equal, e.g. {severity: critical}.")
    receivers: list[str] = Field(min_length=1, description="Receivers (names from `receivers`) told when the route matches.")
    stop: bool = Field(False, description="When this route matches, later routes are not tried. By default every matching route notifies.")
    active_time_intervals: list[str] = Field(default_factory=list, description="Notify only inside these time intervals.")
    mute_time_intervals: list[str] = Field(default_factory=list, description="Stay silent inside these time intervals.")


class TimeRange(Strict):
    start_time: str = Field(description="HH:MM")
    end_time: str = Field(description="HH:MM")


class TimeInterval(Strict):
    """Alertmanager's time interval: every given field must match."""

    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list, description="e.g. ['monday:friday'].")
    days_of_month: list[str] = Field(default_factory=list)
    months: list[str] = Field(default_factory=list)
    location: str | None = Field(None, description="Time zone, e.g. Europe/Paris.")


class Smtp(Secretless):
    smarthost: str = Field(description="host:port of the mail relay.")
    sender: str = Field(alias="from", description="From address.")
    auth_username: str | None = None
    auth_password_file: str | None = Field(None, description="File holding the SMTP password.")
    require_tls: bool = True


class Inhibit(Strict):
    critical_inhibits_warning: bool = Field(True, description="A critical alert silences the warning of the same alert about the same SLO, budget, model or feature.")
    availability_page_inhibits_latency: bool = Field(
        True, description="A critical availability alert silences the latency alerts of the same service."
    )
    page_inhibits_symptoms: bool = Field(
        True,
        description="While an availability SLO page fires, the symptom alerts it already explains (ErrorBurst, ServerErrorsSustained, OutputSpeedDegraded) of the same "
        "service stay silent: one incident, one page.",
    )


class Notifications(Grouping):
    receivers: dict[Name, Receiver] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list, description="Every route whose labels match notifies its receivers, in order.")
    default_receiver: str | None = Field(None, description="Receiver for alerts no route matches; by default they are dropped.")
    time_intervals: dict[Name, list[TimeInterval]] = Field(default_factory=dict)
    smtp: Smtp | None = Field(None, description="Mail relay; required when a receiver sends email.")
    inhibit: Inhibit = Field(default_factory=Inhibit)


class Links(Strict):
    runbooks: str = Field("", description="Base URL where out/runbooks/ is published; alerts link <base>/runbooks/<alert>.md.")
    grafana: str | None = Field(
        None, description="Base URL of the Grafana that loads out/grafana/, e.g. https://grafana.example.com; alerts then carry a `dashboard_url`."
    )


class Kubernetes(Strict):
    """Set it, and out/kubernetes/ holds a PrometheusRule, the AlertmanagerConfig, dashboard ConfigMaps and a kustomization.yaml."""

    namespace: str | None = Field(
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
    description: str = Field("", description="What the service does.")
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
