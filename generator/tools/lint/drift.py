"""build/drift: out/ is exactly what the spec builds; a hand edit or a forgotten rebuild fails CI."""

from __future__ import annotations

from generator.tools.lint.base import Check, Context, Problem, Severity
from generator.write import drift


class Drift(Check):
    name = "build/drift"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        if ctx.rendered is None:
            return []
        lines = drift(ctx.out, ctx.rendered)
        if not lines:
            return []
        return [self.problem(ctx.out, "out/ differs from what the spec builds; run `make build` and commit:\n" + "\n".join(lines[:200]))]
