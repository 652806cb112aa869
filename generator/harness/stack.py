"""Real Prometheus and Alertmanager on 127.0.0.1 with a bundle, every receiver redirected to a local sink.

For `make e2e` and `make demo`: free ports, temporary data folders, and a clean shutdown even when
the caller fails. Nothing listens beyond loopback.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from generator import conventions as conv

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Sink:
    """A webhook endpoint per receiver: what Alertmanager delivered, to whom."""

    received: list[tuple[str, dict]] = field(default_factory=list)  # (receiver, alert)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with sink.lock:
                    sink.received += [(self.path.strip("/"), a) for a in body.get("alerts", [])]
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def receivers_of(self, alertname: str, status: str = "firing", **labels: str | None) -> set[str]:
        """Receivers told about the alert; a label given as None must be absent."""
        return {r for r, a in self.alerts(**{conv.LABEL_ALERTNAME: alertname, **labels}) if a["status"] == status}

    def alerts(self, **labels: str | None) -> list[tuple[str, dict]]:
        """(receiver, alert) for every delivered alert carrying these labels (None: absent)."""
        with self.lock:
            return [(r, a) for r, a in self.received if all(a["labels"].get(k) == v for k, v in labels.items())]


def redirect_receivers(config: dict, sink_port: int) -> dict:
    """The generated routing and inhibition, with every receiver delivering to the sink instead."""
    config = json.loads(json.dumps(config))
    config.pop("global", None)
    config.pop("templates", None)
    for receiver in config.get("receivers", []):
        name = receiver["name"]
        for key in [k for k in receiver if k.endswith("_configs")]:
            del receiver[key]
        if name != conv.NULL_RECEIVER:
            receiver["webhook_configs"] = [{"url": f"http://{HOST}:{sink_port}/{name}", "send_resolved": True}]

    def inherit(route: dict) -> None:
        for child in route.get("routes", []):
            child.pop("group_wait", None)
            child.pop("group_interval", None)
            inherit(child)

    # Seconds, not minutes: the test waits for first notifications, not for batching.
    config["route"].update(group_wait="1s", group_interval="2s", repeat_interval="1h")
    inherit(config["route"])
    return config


@dataclass
class Stack:
    """Prometheus scraping `target`, loaded with `rules`, notifying an Alertmanager built from `alertmanager`.

    With `engine="victoriametrics"`, victoria-metrics scrapes and stores instead, and vmalert evaluates
    the rules (writing recordings back to it) and notifies the same Alertmanager.
    """

    rules: list[Path]
    alertmanager: Path
    target: str
    scrape_interval: str = "1s"
    evaluation_interval: str = "5s"
    engine: str = "prometheus"
    sink: Sink = field(default_factory=Sink)
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, out: Path, target: str, **options: object) -> Stack:
        """The stack for a bundle folder as `slogen build` writes it: every rule file and its Alertmanager config."""
        return cls(rules=sorted(out.glob(conv.rules_file("*").as_posix())), alertmanager=out / conv.alertmanager_file(), target=target, **options)

    def __enter__(self) -> Stack:
        self.exit = ExitStack()
        try:
            self._start()
        except BaseException:
            self.exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.exit.close()

    def _start(self) -> None:
        work = Path(self.exit.enter_context(tempfile.TemporaryDirectory(prefix="slogen-e2e-")))
        sink = ThreadingHTTPServer((HOST, 0), self.sink.handler())
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        self.exit.callback(sink.server_close)
        self.exit.callback(sink.shutdown)
        am_port = free_port()
        am_config = redirect_receivers(yaml.safe_load(self.alertmanager.read_text()), sink.server_address[1])
        (work / "alertmanager.yml").write_text(yaml.safe_dump(am_config))
        self._spawn(
            work / "alertmanager.log",
            _binary("prometheus-alertmanager", "alertmanager"),
            f"--config.file={work / 'alertmanager.yml'}",
            f"--storage.path={work / 'am-data'}",
            f"--web.listen-address={HOST}:{am_port}",
            "--cluster.listen-address=",
        )
        self.urls = {"alertmanager": f"http://{HOST}:{am_port}"}
        self.logs = work
        if self.engine == "victoriametrics":
            self._start_victoriametrics(work, am_port)
        else:
            self._start_prometheus(work, am_port)
        for url in (f"{self.urls['alertmanager']}/-/ready", self.ready):
            wait_for(lambda u=url: _get(u) is not None, 30, f"{url} did not become ready")

    def _start_prometheus(self, work: Path, am_port: int) -> None:
        prom_port = free_port()
        prom = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.evaluation_interval},
            "rule_files": [str(p.resolve()) for p in self.rules],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"{HOST}:{am_port}"]}]}]},
            "scrape_configs": [{"job_name": "llm-app", "static_configs": [{"targets": [self.target]}]}],
        }
        (work / "prometheus.yml").write_text(yaml.safe_dump(prom))
        self._spawn(
            work / "prometheus.log",
            _binary("prometheus"),
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'prom-data'}",
            f"--web.listen-address={HOST}:{prom_port}",
            "--rules.alert.resend-delay=2s",
        )
        self.urls["prometheus"] = self.urls["rules"] = f"http://{HOST}:{prom_port}"
        self.ready = f"{self.urls['prometheus']}/-/ready"

    def _start_victoriametrics(self, work: Path, am_port: int) -> None:
        vm_port, alert_port = free_port(), free_port()
        scrape = {"global": {"scrape_interval": self.scrape_interval}, "scrape_configs": [{"job_name": "llm-app", "static_configs": [{"targets": [self.target]}]}]}
        (work / "scrape.yml").write_text(yaml.safe_dump(scrape))
        vm = f"http://{HOST}:{vm_port}"
        self._spawn(
            work / "victoria-metrics.log",
            _binary("victoria-metrics"),
            f"-httpListenAddr={HOST}:{vm_port}",
            f"-storageDataPath={work / 'vm-data'}",
            f"-promscrape.config={work / 'scrape.yml'}",
            "-search.latencyOffset=1s",  # 30s by default: a fresh sample would stay invisible to the rules that long
        )
        self._spawn(
            work / "vmalert.log",
            _binary("vmalert"),
            *(f"-rule={p.resolve()}" for p in self.rules),
            f"-datasource.url={vm}",
            f"-remoteWrite.url={vm}",
            f"-remoteRead.url={vm}",
            "-remoteWrite.flushInterval=1s",
            f"-notifier.url={self.urls['alertmanager']}",
            f"-evaluationInterval={self.evaluation_interval}",
            f"-httpListenAddr={HOST}:{alert_port}",
        )
        self.urls["prometheus"], self.urls["rules"] = vm, f"http://{HOST}:{alert_port}"
        self.ready = f"{vm}/health"
        wait_for(lambda: _get(f"{self.urls['rules']}/health") is not None, 30, "vmalert did not become ready")

    def _spawn(self, log: Path, *args: str) -> None:
        out = self.exit.enter_context(log.open("w"))
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        self.exit.callback(_stop, proc)

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        """An instant query, now or at the unix time `at`."""
        params = {"query": expr, **({"time": repr(at)} if at is not None else {})}
        body = _get(f"{self.urls['prometheus']}/api/v1/query?" + urllib.parse.urlencode(params))
        return json.loads(body)["data"]["result"] if body else []

    def evaluations(self) -> int:
        """How many times the rule group that has run least has been evaluated so far (give it to wait_evaluations)."""
        counts: dict[str, float] = {}
        for line in (_get(f"{self.urls['rules']}/metrics") or b"").decode().splitlines():
            name, _, rest = line.partition("{")
            if sign := _ITERATIONS.get(name):
                group = re.search(r'group="([^"]*)"', rest)[1]
                counts[group] = counts.get(group, 0) + sign * float(rest.rsplit(" ", 1)[1])
        return int(min(counts.values(), default=0))

    def wait_evaluations(self, since: int, n: int, timeout: float = 120) -> None:
        """Until every rule group has run `n` whole evaluations begun after evaluations() said `since`.

        A count, not a time: a busy machine runs the rules late, and a check that they saw something (or that
        nothing fired) means only as much as the evaluations behind it."""
        # One more: Prometheus counts an evaluation as it begins, vmalert as it ends, so one may have been under way at `since`.
        wait_for(lambda: self.evaluations() >= since + n + 1, timeout, f"{n} evaluations of every rule group")

    def firing(self, **labels: str) -> list[dict]:
        body = _get(f"{self.urls['rules']}/api/v1/alerts")
        alerts = (json.loads(body)["data"]["alerts"] or []) if body else []  # vmalert says null for none
        return [a for a in alerts if a["state"] == "firing" and all(a["labels"].get(k) == v for k, v in labels.items())]


# Per rule group, in the engine's own /metrics: evaluations begun less those skipped (Prometheus), or ended (vmalert).
_ITERATIONS = {"prometheus_rule_group_iterations_total": 1, "prometheus_rule_group_iterations_missed_total": -1,
               "vmalert_iteration_duration_seconds_count": 1}


def _binary(*names: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    raise FileNotFoundError(f"none of {', '.join(names)} is on PATH: run `make tools`")


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except OSError:
        return None


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for(condition, timeout: float, message: str, every: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise TimeoutError(f"{message} within {timeout:g}s")
