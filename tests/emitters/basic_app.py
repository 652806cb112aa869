"""A service with the simplest published Claude instrumentation, hand-rolled with prometheus_client:
claude_requests_total{model, stop_reason, status="ok"|"error"}, claude_latency_seconds (0.5 ... 60),
claude_tokens_total{model, direction}, claude_cost_usd (exported as claude_cost_usd_total) and
claude_rate_limit_remaining{dimension} read from the response headers (no limit gauge)."""

import time

import anthropic
from drive import MESSAGES, MODEL, arguments, drive
from prometheus_client import Counter, Gauge, Histogram, start_http_server

PRICE = {"input": 3.00, "output": 15.00, "cache_read": 0.30}  # USD per million tokens

args = arguments()

requests = Counter("claude_requests_total", "Claude API calls.", ["model", "stop_reason", "status"])
latency = Histogram("claude_latency_seconds", "Claude API call latency.", ["model"], buckets=[0.5, 1, 2, 5, 10, 30, 60])
tokens = Counter("claude_tokens_total", "Tokens.", ["model", "direction"])
cost = Counter("claude_cost_usd", "Spend in USD.", ["model"])
remaining = Gauge("claude_rate_limit_remaining", "anthropic-ratelimit-*-remaining.", ["dimension"])
start_http_server(args.port, addr="127.0.0.1")
client = anthropic.Anthropic(base_url=args.api, api_key="sk-ant-test", max_retries=0)


def headers(h) -> None:
    for dim in ("requests", "tokens"):
        if (value := h.get(f"anthropic-ratelimit-{dim}-remaining")) is not None:
            remaining.labels(dim).set(float(value))


def call() -> None:
    start = time.perf_counter()
    try:
        raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=MESSAGES)
    except anthropic.APIStatusError as exc:
        headers(exc.response.headers)
        requests.labels(MODEL, "", "error").inc()
        latency.labels(MODEL).observe(time.perf_counter() - start)
        raise
    headers(raw.headers)
    message = raw.parse()
    latency.labels(MODEL).observe(time.perf_counter() - start)
    requests.labels(MODEL, message.stop_reason, "ok").inc()
    usage = {"input": message.usage.input_tokens, "output": message.usage.output_tokens, "cache_read": message.usage.cache_read_input_tokens or 0}
    for direction, n in usage.items():
        tokens.labels(MODEL, direction).inc(n)
    cost.labels(MODEL).inc(sum(n * PRICE[d] for d, n in usage.items()) / 1e6)


drive([call], args.rps, args.seconds)
