"""rules/portable and vmalert/dry-run: the rule file loads in the engine the spec targets.

Each engine's parser refuses fields it does not know (vmalert's and mimirtool's strictly, Debian's
promtool too), so the bundle is written in the fields all of them accept; this check holds every
edit to that, and vmalert, where installed, parses the file itself.
"""

from __future__ import annotations

import subprocess

from generator import conventions as conv
from generator.tools.lint.base import Check, Context, Problem, Severity

# Fields every engine accepts (Prometheus 2.42, vmalert 1.79, Mimir, Thanos: litellm-scale.md part 3).
GROUP_FIELDS = frozenset({"name", "interval", "limit", "rules"})
RULE_FIELDS = frozenset({"record", "alert", "expr", "for", "labels", "annotations"})
TIMEOUT = 120


class Portable(Check):
    name = "rules/portable"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for path, doc in ctx.rule_files.items():
            for key in sorted(set(doc) - {"groups"}):
                problems.append(self.problem(path.name, f"top-level `{key}`: promtool and vmalert refuse it"))
            for group in doc.get("groups", []):
                for key in sorted(set(group) - GROUP_FIELDS):
                    problems.append(self.problem(f"{path.name}: {group.get('name')}", f"group field `{key}` is not accepted by every engine"))
                for rule in group.get("rules", []):
                    for key in sorted(set(rule) - RULE_FIELDS):
                        problems.append(self.problem(f"{path.name}: {rule.get('record') or rule.get('alert')}", f"rule field `{key}` is not accepted by every engine"))
        return problems


class VmalertDryRun(Check):
    name = "vmalert/dry-run"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        if not any(s.target == "victoriametrics" for s in ctx.services):
            return []
        vmalert = ctx.tools.get("vmalert")
        if not vmalert:
            return [self.problem("vmalert", "vmalert not found; install Debian's victoria-metrics package (make test does)")]
        problems = []
        for path in ctx.files(conv.rules_file("*").as_posix()):
            result = subprocess.run([vmalert, f"-rule={path}", "-dryRun", "-loggerLevel=ERROR"], capture_output=True, text=True, timeout=TIMEOUT, check=False)
            if result.returncode != 0:
                problems.append(self.problem(path.name, (result.stdout + result.stderr).strip()[-2000:]))
        return problems
