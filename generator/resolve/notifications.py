"""Checks on the spec's notifications that need the whole block: names a route uses, the mail relay."""

from __future__ import annotations

from generator.spec.load import Problem
from generator.spec.models import Notifications


def check_notifications(n: Notifications) -> list[Problem]:
    """Every name a route uses must be defined; email needs a mail relay."""
    at = ("notifications",)
    problems = []
    known = sorted(n.receivers)
    hint = f"defined receivers: {', '.join(known)}" if known else "define it under notifications.receivers"
    for i, route in enumerate(n.routes):
        for j, name in enumerate(route.receivers):
            if name not in n.receivers:
                problems.append(Problem((*at, "routes", i, "receivers", j), f"receiver {name!r} is not defined; {hint}"))
        for key in ("active_time_intervals", "mute_time_intervals"):
            for j, name in enumerate(getattr(route, key)):
                if name not in n.time_intervals:
                    problems.append(Problem((*at, "routes", i, key, j), f"time interval {name!r} is not defined under notifications.time_intervals"))
    if n.default_receiver is not None and n.default_receiver not in n.receivers:
        problems.append(Problem((*at, "default_receiver"), f"receiver {n.default_receiver!r} is not defined; {hint}"))
    if n.smtp is None:
        for name, receiver in n.receivers.items():
            if receiver.email is not None:
                problems.append(Problem((*at, "receivers", name, "email"), "email needs a mail relay: add notifications.smtp with smarthost and from"))
    return problems
