"""A service instrumented with OpenTelemetry GenAI metrics the way users do it: OpenLLMetry's
opentelemetry-instrumentation-anthropic, the SDK's MeterProvider and the Prometheus exporter.

The View is the one slogen's bucket error asks for: the SDK's default buckets (0, 5, 10, 25, ...)
cannot express a 30s threshold.
"""


from drive import arguments, calls, drive
from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import start_http_server

args = arguments()

view = View(instrument_name="gen_ai.client.operation.duration", aggregation=ExplicitBucketHistogramAggregation([0.5, 1, 2, 5, 10, 30, 60, 120]))
metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()], views=[view]))
trace.set_tracer_provider(TracerProvider())  # OpenLLMetry records token usage only on recording spans
AnthropicInstrumentor().instrument()
start_http_server(args.port, addr="127.0.0.1")

import anthropic  # noqa: E402 - after instrumenting, as the instrumentation's docs say

drive(calls(anthropic.Anthropic(base_url=args.api, api_key="sk-ant-test", max_retries=0)), args.rps, args.seconds)
