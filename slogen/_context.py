"""Per-call context (feature, user) and the caps that keep label values bounded.

`feature` becomes a Prometheus label, so its values are capped: past the cap a new value is recorded as `other`,
with one warning. `user` never becomes a label: it goes to the log line and the span only."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

OTHER = "other"
MAX_LABEL_LENGTH = 128  # a model or feature name longer than this is junk (a 10 KB model id), recorded as `other`


@dataclass(frozen=True)
class Scope:
    feature: str | None = None
    user: str | None = None


SCOPE: ContextVar[Scope] = ContextVar("slogen_scope", default=Scope())


@contextmanager
def context(feature: str | None = None, user: str | None = None) -> Iterator[None]:
    """`with slogen.context(feature="search", user="u-123"):` calls inside record that feature (overriding the
    client's) and that user (logs and spans only). Nested contexts keep what they do not set; async-safe."""
    outer = SCOPE.get()
    token = SCOPE.set(Scope(feature if feature is not None else outer.feature, user if user is not None else outer.user))
    try:
        yield
    finally:
        SCOPE.reset(token)


class Cap:
    """At most `limit` distinct values of one label; later new values (and junk: over-long ones) read `other`."""

    def __init__(self, what: str, limit: int) -> None:
        self.what, self.limit = what, limit
        self._seen: set[str] = set()
        self._warned = False
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if value in self._seen:
                return value
            if len(value) <= MAX_LABEL_LENGTH and len(self._seen) < self.limit:
                self._seen.add(value)
                return value
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"slogen.instrument: more than {self.limit} distinct {self.what} values (or one over {MAX_LABEL_LENGTH} "
                    f"characters); new ones are recorded as '{OTHER}'. Raise the cap with instrument(..., max_{self.what}s=N) "
                    f"if they are bounded, or pass a bounded value.",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return OTHER
