"""Streams passed through lazily: every event reaches the caller as the SDK made it, and the call is recorded
when the stream ends, fails, is closed, or is left early (a `break` closes it through the context manager
or the SDK's own close)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Observed:
    def __init__(self, stream: Any, call: Any, recorder: Any, provider: Any) -> None:
        self._stream, self._call, self._recorder, self._provider = stream, call, recorder, provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _see(self, event: Any) -> None:
        try:
            self._provider.read_event(self._call, event)
        except Exception:  # noqa: BLE001 - never in the caller's way
            self._recorder.failed()

    def __del__(self) -> None:
        # A stream dropped after an early `break`, never closed: still one finished call.
        try:
            if not self._call.done:
                self._end()
        except Exception:  # noqa: BLE001
            pass

    @contextmanager
    def _step(self, end: type[BaseException]) -> Iterator[None]:
        """Reading the next event: its end, or its failure, finishes the call."""
        try:
            yield
        except end:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise

    def _end(self, exc: BaseException | None = None) -> None:
        if exc is not None and not self._call.done:
            from slogen._providers import status_of

            self._call.status, self._call.error_type = status_of(exc)
        elif not self._call.stop_reason and not self._call.done:
            self._call.stop_reason = "client_closed"  # left before the end: the API did not fail
        self._recorder.finish(self._call)


class Observed(_Observed):
    def __iter__(self) -> Observed:
        return self

    def __next__(self) -> Any:
        with self._step(StopIteration):
            event = next(self._stream)
        self._see(event)
        return event

    def __enter__(self) -> Observed:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._end()


class AsyncObserved(_Observed):
    def __aiter__(self) -> AsyncObserved:
        return self

    async def __anext__(self) -> Any:
        with self._step(StopAsyncIteration):
            event = await self._stream.__anext__()
        self._see(event)
        return event

    async def __aenter__(self) -> AsyncObserved:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self._stream.close()
        finally:
            self._end()
