"""Streams passed through lazily: every event reaches the caller as the SDK made it, and the call is recorded
when the stream ends, fails, is closed, or is left early (a `break` closes it through the context manager
or the SDK's own close).

An error event inside a stream that answered 200 fails the call with the status its error type implies
(`overloaded_error` is a 529): see `_providers.status_of`. Reading an event allocates nothing of ours."""

from __future__ import annotations

from typing import Any

from slogen._providers import status_of


class _Observed:
    def __init__(self, stream: Any, call: Any, recorder: Any, provider: Any) -> None:
        self._stream, self._call, self._recorder, self._read = stream, call, recorder, provider.read_event
        self._unread: type | None = None  # the class of events that tell nothing more (content deltas, once timed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _see(self, event: Any) -> None:
        try:
            if self._read(self._call, event):
                self._unread = event.__class__
        except Exception:  # noqa: BLE001 - never in the caller's way
            self._recorder.failed()

    def __del__(self) -> None:
        # A stream dropped after an early `break`, never closed: still one finished call.
        try:
            if not self._call.done:
                self._end()
        except Exception:  # noqa: BLE001
            pass

    def _end(self, exc: BaseException | None = None) -> None:
        call = self._call
        if call.done:
            return
        if exc is not None:
            try:
                call.failed(*status_of(exc), exc)
            except Exception:  # noqa: BLE001
                self._recorder.failed()
        elif not call.stop_reason:
            call.stop_reason = "client_closed"  # left before the end: the API did not fail
        self._recorder.finish(call)


class Observed(_Observed):
    def __iter__(self) -> Observed:
        return self

    def __next__(self) -> Any:
        try:
            event = next(self._stream)
        except StopIteration:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        if event.__class__ is not self._unread:  # most chunks of a long answer stop here
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
        try:
            event = await self._stream.__anext__()
        except StopAsyncIteration:
            self._end()
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        if event.__class__ is not self._unread:  # most chunks of a long answer stop here
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
