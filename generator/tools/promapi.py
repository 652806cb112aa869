"""A minimal client of the Prometheus HTTP API (also VictoriaMetrics' and Thanos'): instant and
range-vector queries over urllib, every failure a `PrometheusError` that says what went wrong.

Queries go as POST forms: a report's query for a hundred SLOs is longer than a URL may be.
"""

from __future__ import annotations

import json
import math
import socket
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from generator.errors import SlogenError

DEFAULT_TIMEOUT = 60.0


class PrometheusError(SlogenError):
    """Prometheus is unreachable, refused a query, or lacks what the command reads."""

    exit_code = 2


Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Sample:
    labels: Labels
    value: float

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")


@dataclass(frozen=True)
class Series:
    labels: Labels
    points: tuple[tuple[float, float], ...]  # (unix seconds, value)

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")


def _labels(metric: dict) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in metric.items()))


@dataclass(frozen=True)
class Prometheus:
    url: str
    timeout: float = DEFAULT_TIMEOUT

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query returning a vector (a scalar comes back as one unlabelled sample)."""
        data = self._call("query", {"query": expr, **({"time": _time(at)} if at is not None else {})})
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar":
            return [Sample((), _number(result[1]))]
        if kind != "vector":
            raise PrometheusError(f"{self.url}: expected a vector from {_short(expr)}, got {kind}")
        return [Sample(_labels(r.get("metric", {})), _number(r["value"][1])) for r in result]

    def samples(self, expr: str, at: float) -> list[Series]:
        """The raw samples of a range-vector selector (`name{...}[range]`) at `at`: no step, no point limit."""
        data = self._call("query", {"query": expr, "time": _time(at)})
        if data.get("resultType") != "matrix":
            raise PrometheusError(f"{self.url}: expected a matrix from {_short(expr)}, got {data.get('resultType')}")
        return [_series(r) for r in data["result"]]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        data = self._call("query_range", {"query": expr, "start": _time(start), "end": _time(end), "step": f"{step:g}"})
        return [_series(r) for r in data.get("result") or []]

    def many(self, calls: list) -> list:  # noqa: ANN001 - zero-argument callables
        """Independent queries at once: their time is Prometheus', which serves them in parallel."""
        if len(calls) <= 1:
            return [c() for c in calls]
        with ThreadPoolExecutor(max_workers=min(8, len(calls))) as pool:
            return list(pool.map(lambda c: c(), calls))

    def _call(self, endpoint: str, params: dict[str, str]) -> dict:
        url = f"{self.url.rstrip('/')}/api/v1/{endpoint}"
        body = urllib.parse.urlencode(params).encode()
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            reason = _api_error(payload) or f"HTTP {exc.code} {exc.reason}"
            raise PrometheusError(f"{self.url}: the query API answered with an error: {reason}\n  query: {_short(params['query'])}") from None
        except (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError) as exc:
            why = getattr(exc, "reason", exc)
            raise PrometheusError(f"{self.url}: Prometheus is unreachable ({why}); check --prometheus (e.g. http://127.0.0.1:9090)") from None
        except ValueError as exc:  # a URL urllib cannot use
            raise PrometheusError(f"--prometheus {self.url!r}: not a usable URL ({exc}); give one like http://127.0.0.1:9090") from None
        try:
            answer = json.loads(payload)
        except ValueError:
            raise PrometheusError(f"{self.url}: the answer is not JSON: is this the Prometheus API? (try the server's base URL)") from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            reason = _api_error(payload) or "no status 'success'"
            raise PrometheusError(f"{self.url}: the query API answered with an error: {reason}\n  query: {_short(params['query'])}")
        return answer.get("data") or {}


def _series(r: dict) -> Series:
    return Series(_labels(r.get("metric", {})), tuple((float(t), _number(v)) for t, v in r.get("values", [])))


def _number(text: object) -> float:
    value = float(str(text))
    return value if not math.isnan(value) else math.nan


def _time(at: float) -> str:
    return f"{at:.3f}"


def _api_error(payload: bytes) -> str:
    try:
        answer = json.loads(payload)
    except ValueError:
        return ""
    if isinstance(answer, dict) and answer.get("error"):
        return f"{answer.get('errorType', 'error')}: {answer['error']}"
    return ""


def _short(expr: str, limit: int = 300) -> str:
    flat = " ".join(expr.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
