"""Recapture tests/emitters/litellm/metrics.txt from a real LiteLLM proxy in front of the fake Anthropic API.

The proxy is too heavy for every CI run (~750 MB), so the litellm profile is proven on this capture:

    python3 -m venv /tmp/litellm && /tmp/litellm/bin/pip install 'litellm[proxy]' prometheus_client
    /tmp/litellm/bin/python tests/emitters/litellm/capture.py

Everything stays on 127.0.0.1: the fake API, the proxy (a non-default master key, which recent proxies
require and which also guards /metrics), and the client calls. `sent.json` records what the fake API
answered, so the test checks the bundle's numbers against the truth, not against the exposition.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
KEY = "sk-slogen-capture-0000"
MODEL = "claude-sonnet-4-6"
# Each status in turn, None a success: 400 and 429 are client-side, 500 and 529 the provider failing.
PATTERN = (None, None, None, 500, None, None, 529, None, 400, None, None, 429)
CALLS = 120


def _fakeapi():
    """generator/harness/fakeapi.py by path: the proxy's venv need not have slogen's dependencies."""
    spec = importlib.util.spec_from_file_location("fakeapi", ROOT / "generator" / "fakeapi.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fakeapi"] = module
    spec.loader.exec_module(module)
    return module


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json", "authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


def main() -> None:
    fake = _fakeapi()
    port = _port()
    with fake.FakeAnthropic(fake.Behaviour(input_tokens=40, output_tokens=10, cache_read_tokens=20)) as api, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(
            json.dumps(
                {
                    "model_list": [{"model_name": MODEL, "litellm_params": {"model": f"anthropic/{MODEL}", "api_base": api.base_url, "api_key": "sk-ant-fake"}}],
                    "litellm_settings": {"callbacks": ["prometheus"], "num_retries": 0, "request_timeout": 20},
                    "general_settings": {"master_key": KEY},
                    "router_settings": {"num_retries": 0, "allowed_fails": 1000},
                }
            )
        )
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False", "NO_PROXY": "127.0.0.1,localhost"}
        proxy = subprocess.Popen(
            [str(Path(sys.executable).parent / "litellm"), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "proxy.log", "w"),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/health/liveliness", timeout=2).read()
                    break
                except OSError:
                    time.sleep(1)
            else:
                raise SystemExit("the LiteLLM proxy did not start:\n" + (Path(tmp) / "proxy.log").read_text()[-3000:])
            answered = []
            for i in range(CALLS):
                api.behaviour.pattern = (PATTERN[i % len(PATTERN)],)
                body = {"model": MODEL, "max_tokens": 32, "messages": [{"role": "user", "content": "Say ok."}], "stream": i % 2 == 1}
                answered.append(_post(f"{base}/v1/chat/completions", body))
            time.sleep(3)  # the prometheus callback runs after the response
            request = urllib.request.Request(f"{base}/metrics", headers={"authorization": f"Bearer {KEY}"})
            exposition = urllib.request.urlopen(request, timeout=10).read().decode()
            version = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
                                     capture_output=True, text=True, check=True).stdout.strip()
        finally:
            proxy.terminate()
            proxy.wait(timeout=20)
        with api.served.lock:
            served = [{"status": r["status"], "stream": r["stream"]} for r in api.served.requests]
    (HERE / "metrics.txt").write_text(exposition)
    (HERE / "sent.json").write_text(json.dumps({"litellm": version, "proxy_answered": answered, "api_served": served}, indent=1) + "\n")
    print(f"litellm {version}: {len(exposition.splitlines())} exposition lines, {len(served)} API calls, proxy answers {sorted(set(answered))}")


if __name__ == "__main__":
    main()
