"""Spec models for notifications: receivers, routes, time intervals, the mail relay and inhibitions."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from generator.spec import checks
from generator.spec.strict import Strict
from generator.spec.types import Duration, LabelName, Name


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
    channel: checks.Line = Field(description="Channel to post to, e.g. '#claude-api-alerts'.")
    api_url_file: checks.SecretFile = Field(description="File holding the Slack webhook URL (a secret: never put the URL itself here).")


class PagerDuty(Secretless):
    routing_key_file: checks.SecretFile = Field(description="File holding the Events v2 routing key.")


class Email(Secretless):
    to: list[checks.EmailAddress] = Field(min_length=1, description="Recipients.")


class Webhook(Secretless):
    url: checks.Url = Field(description="Endpoint URL. Alertmanager 0.25 cannot read it from a file, so it must carry no credentials.")

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        if "@" in value.split("/")[2 if "//" in value else 0] or any(t in value.lower() for t in ("token=", "key=", "secret=")):
            raise ValueError("the URL carries credentials; put them behind a proxy or use a receiver that reads a *_file")
        return value


class Opsgenie(Secretless):
    api_key_file: checks.SecretFile = Field(description="File holding the Opsgenie API key.")


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
    group_by: list[checks.GroupLabel] | None = Field(None, description="Labels that group alerts into one notification.")
    group_wait: Duration | None = Field(None, description="How long to wait for more alerts of a new group.")
    group_interval: Duration | None = Field(None, description="How long to wait before notifying about changes to a group.")
    repeat_interval: Duration | None = Field(None, description="How long to wait before repeating a notification.")


class Route(Grouping):
    match: dict[LabelName, checks.Line] = Field(default_factory=dict, description="Alert labels that must all be equal, e.g. {severity: critical}.")
    receivers: list[str] = Field(min_length=1, description="Receivers (names from `receivers`) told when the route matches.")
    stop: bool = Field(False, description="When this route matches, later routes are not tried. By default every matching route notifies.")
    active_time_intervals: list[str] = Field(default_factory=list, description="Notify only inside these time intervals.")
    mute_time_intervals: list[str] = Field(default_factory=list, description="Stay silent inside these time intervals.")


class TimeRange(Strict):
    start_time: checks.ClockTime = Field(description="HH:MM")
    end_time: checks.ClockTime = Field(description="HH:MM")

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start_time >= self.end_time:
            raise ValueError(f"start_time {self.start_time} must be before end_time {self.end_time}; split a range past midnight in two")
        return self


class TimeInterval(Strict):
    """Alertmanager's time interval: every given field must match."""

    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[checks.Weekdays] = Field(default_factory=list, description="e.g. ['monday:friday'].")
    days_of_month: list[checks.DaysOfMonth] = Field(default_factory=list)
    months: list[checks.Months] = Field(default_factory=list)
    location: checks.TimeZone | None = Field(None, description="Time zone, e.g. Europe/Paris.")


class Smtp(Secretless):
    smarthost: checks.HostPort = Field(description="host:port of the mail relay.")
    sender: checks.EmailAddress = Field(alias="from", description="From address.")
    auth_username: checks.Line | None = None
    auth_password_file: checks.SecretFile | None = Field(None, description="File holding the SMTP password.")
    require_tls: bool = True


class Inhibit(Strict):
    critical_inhibits_warning: bool = Field(True, description="A critical alert silences the warning of the same alert about the same SLO, budget, model or feature.")
    availability_page_inhibits_latency: bool = Field(
        True, description="A critical availability alert silences the latency alerts of the same service."
    )
    page_inhibits_symptoms: bool = Field(
        True,
        description="While an availability SLO page fires, the symptom alerts it already explains (ErrorBurst, ServerErrorsSustained, OutputSpeedDegraded, UpstreamDegraded) of the same "
        "service stay silent: one incident, one page.",
    )
    service_wide_inhibits_groups: bool = Field(
        True,
        description="While an SLO's service-wide burn alert fires, its per-group alerts (`group_by`) of the same or lower severity stay silent: "
        "the whole service is burning, and one alert says so.",
    )


class Notifications(Grouping):
    receivers: dict[Name, Receiver] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list, description="Every route whose labels match notifies its receivers, in order.")
    default_receiver: str | None = Field(None, description="Receiver for alerts no route matches; by default they are dropped.")
    time_intervals: dict[Name, list[TimeInterval]] = Field(default_factory=dict)
    smtp: Smtp | None = Field(None, description="Mail relay; required when a receiver sends email.")
    inhibit: Inhibit = Field(default_factory=Inhibit)
