"""The traffic loop both instrumented apps run: the real anthropic SDK against the fake API, every call shape in turn."""

from __future__ import annotations

import argparse
import time

import anthropic

MODEL = "claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": "Say ok."}]


def calls(client: anthropic.Anthropic):
    """Plain, stream=True, and the messages.stream helper, in turn."""

    def plain():
        return client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, extra_headers=shape("plain"))

    def streamed():
        for _ in client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES, stream=True, extra_headers=shape("streamed")):
            pass

    def helper():
        with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES, extra_headers=shape("helper")) as stream:
            for _ in stream.text_stream:
                pass

    return [plain, streamed, helper]


def arguments() -> argparse.Namespace:
    """--api (the fake API's URL), --port (where the app exposes /metrics), --rps, --seconds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rps", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=600)
    return parser.parse_args()


def shape(name: str) -> dict[str, str]:
    """Tells the fake API which call shape sent a request, so a test can see what an instrumentation missed."""
    return {"x-call-shape": name}


def drive(call_list, rps: float, seconds: float) -> None:
    """Call at `rps` until `seconds` pass; the API's failures are the point, so they are swallowed here."""
    start, n = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        try:
            call_list[n % len(call_list)]()
        except anthropic.APIError:
            pass
        n += 1
        pause = start + n / rps - time.monotonic()
        if pause > 0:
            time.sleep(pause)
