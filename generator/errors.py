"""The error hierarchy: user mistakes carry a message fit to print; anything else is a bug."""

from __future__ import annotations


class SlogenError(Exception):
    """Base class for every error slogen raises on purpose."""

    exit_code = 1


class SpecError(SlogenError):
    """The spec is wrong; the message names the file, the place and the fix."""

    exit_code = 2

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.file}: invalid spec ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''})"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class OutputError(SlogenError):
    """The bundle could not be written, or differs from what the spec produces."""

    exit_code = 1
