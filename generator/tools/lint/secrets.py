"""secrets/scan and kubernetes/size: what must never be committed, and objects Kubernetes would refuse.

The spec refuses credentials where it can see them (a `*_file` holding a URL or a key); this scan
is the net behind it, over every file slogen writes, for what a GitOps commit would publish.
"""

from __future__ import annotations

import re

from generator import conventions as conv
from generator.tools.lint.base import Check, Context, Problem, Severity
from generator.tools.lint.kubernetes import objects

# Shapes of credentials, by issuer; each specific enough that a bundle never holds one by chance.
SECRET_SHAPES = {
    "a Slack webhook URL": r"hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{8,}",
    "a Slack token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    "an Anthropic or OpenAI API key": r"\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}",
    "an AWS access key id": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "a GitHub token": r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})",
    "a GitLab token": r"\bglpat-[A-Za-z0-9_-]{20,}",
    "a Google API key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "a private key": r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----",
    "a JSON web token": r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    "a URL with a password": r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s@\"']+@",
    "a PagerDuty or Opsgenie key in a key field": r"\b(?:routing_key|service_key|api_key|auth_password|password|token)\s*:\s*['\"]?[A-Za-z0-9+/=_-]{12,}",
}
_SCAN = re.compile("|".join(f"(?P<s{i}>{shape})" for i, shape in enumerate(SECRET_SHAPES.values())))
_NAMES = list(SECRET_SHAPES)

# client-side `kubectl apply` keeps the whole object in the last-applied-configuration annotation,
# and annotations may hold 262,144 bytes; etcd stores objects of at most 1.5 MiB.
ANNOTATION_LIMIT = 262_144
ETCD_LIMIT = 1_572_864


class SecretScan(Check):
    name = "secrets/scan"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for top in conv.OWNED_DIRS:
            for path in sorted((ctx.out / top).rglob("*")):
                if not path.is_file():
                    continue
                text = path.read_bytes().decode("utf-8", errors="replace")
                for match in _SCAN.finditer(text):
                    kind = _NAMES[int(match.lastgroup[1:])]
                    line = text.count("\n", 0, match.start()) + 1
                    problems.append(self.problem(f"{path.relative_to(ctx.out)}:{line}", f"holds what looks like {kind}; keep secrets in "
                                                 "files Alertmanager reads (`*_file`), never in the spec or out/, and rotate this one"))
        return problems


class ObjectSize(Check):
    name = "kubernetes/size"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for where, text in objects(ctx):  # each object on its own: a large service's rules are several in one file
            size = len(text.encode())
            if size > ETCD_LIMIT:
                problems.append(self.problem(where, f"{size:,} bytes: past the 1.5 MiB etcd stores, the API server refuses it; "
                                             "split the SLOs into several specs (a folder of specs builds one bundle)"))
            elif size > ANNOTATION_LIMIT:
                problems.append(Problem(self.name, Severity.WARNING, where, f"{size:,} bytes: past the 262,144 bytes client-side "
                                        "`kubectl apply` can keep in its annotation; apply with `kubectl apply --server-side -k out/kubernetes`"))
        return problems
