"""Read slo.yaml into a Spec; every mistake becomes file:line:col, a dotted path and a fix."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from generator.errors import SpecError
from generator.yamlout import LOADER
from generator.spec.models import MAX_SLOS, Spec

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the spec, at a path such as ("slos", 1, "objective")."""

    path: Loc
    message: str


@dataclass
class Source:
    """Where each path of the spec was written, so resolve-time problems get positions too."""

    file: str
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def error(self, problems: list[Problem]) -> SpecError:
        return SpecError(self.file, [self._where(p) for p in problems])

    def _where(self, problem: Problem) -> str:
        path = problem.path
        while path and path not in self.positions:
            path = path[:-1]
        line, col = self.positions.get(path, (0, 0))
        at = f"{self.file}:{line}:{col}: " if line else ""
        dotted = dotted_path(problem.path)
        return f"{at}{dotted + ': ' if dotted else ''}{problem.message}"


def dotted_path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# Bounds on what one spec file may make the loader do, whatever it holds. A spec of MAX_SLOS SLOs is
# a few hundred kilobytes and a few tens of thousands of nodes, and nests eight deep.
BYTES_PER_SLO = 16 * 1024
NODES_PER_SLO = 200
MAX_DEPTH = 32


def read_yaml(path: Path, source: Source, max_slos: int = MAX_SLOS, documents: bool = False) -> object:
    """One YAML file's data (a list of its documents with `documents`), bounded in size, nesting and
    alias expansion; SpecError on anything else."""
    limit = max(16 * 1024 * 1024, BYTES_PER_SLO * max_slos)
    try:
        size = path.stat().st_size
        if size > limit:
            raise SpecError(str(path), [f"the file is {size:,} bytes; slogen reads at most {limit:,} ({max_slos} SLOs' worth): split it, one file per service"])
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), ["file not found; pass the path of your slo.yaml"]) from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(str(path), [f"{path}:{line}: byte {exc.start} is not UTF-8 ({exc.reason}); save the file as UTF-8"]) from None
    except OSError as exc:
        raise SpecError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    nodes = max(200_000, NODES_PER_SLO * max_slos)
    return parse_yaml_all(text, source, nodes) if documents else parse_yaml(text, source, nodes)


def load_spec(path: Path, max_slos: int = MAX_SLOS) -> tuple[Spec, Source]:
    """Parse and validate one spec file; raise SpecError (never a traceback) on any user mistake."""
    source = Source(str(path))
    data = read_yaml(path, source, max_slos)
    if not isinstance(data, dict):
        raise source.error([Problem((), "the file must be a YAML mapping that starts with `version: 1`")])
    if data.get("version") != 1 or isinstance(data.get("version"), bool):  # YAML `true` equals 1 in Python
        got = data.get("version", "nothing")
        raise source.error([Problem(("version",), f"expected `version: 1`, got {_short(got)}; this slogen reads spec version 1")])
    try:
        return Spec.model_validate(data, context={"max_slos": max_slos}), source
    except ValidationError as exc:
        raise source.error([_problem(err) for err in exc.errors()]) from None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_yaml_all(text: str, source: Source, max_nodes: int = 200_000) -> list[object]:
    """Every document of a multi-document file (an import), under the bounds of `parse_yaml`."""
    loader = LOADER(text)
    budget = [max_nodes]
    docs: list[object] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _index(node, (len(docs),), source, budget)
            docs.append(loader.construct_document(node))
        return docs
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source.file}:{mark.line + 1}:{mark.column + 1}" if mark else source.file
        raise SpecError(source.file, [f"{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}"]) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise SpecError(source.file, [f"YAML value error: {exc}"]) from None
    finally:
        loader.dispose()


def parse_yaml(text: str, source: Source, max_nodes: int = 200_000) -> object:
    """safe_load, but duplicate keys are errors, every node's position is kept, and nesting and the
    nodes aliases expand to are bounded (a "billion laughs" file is a few lines)."""
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(source.file, ["the file is empty; start it with `version: 1`"])
        _index(node, (), source, [max_nodes])
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source.file}:{mark.line + 1}:{mark.column + 1}" if mark else source.file
        reason = getattr(exc, "problem", None) or str(exc)
        raise SpecError(source.file, [f"{where}: YAML syntax error: {reason}"]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a tag whose value YAML cannot construct, e.g. a date 2024-02-30
        raise SpecError(source.file, [f"YAML value error: {exc}"]) from None
    finally:
        loader.dispose()


def _index(node: yaml.Node, path: Loc, source: Source, budget: list[int]) -> None:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise SpecError(source.file, [f"{source.file}:{line}:{col}: {dotted_path(path)}: the file expands to too many values "
                                      "(YAML aliases repeating aliases); write the repeated parts out, or use fewer levels of aliases"])
    if len(path) > MAX_DEPTH:
        raise SpecError(source.file, [f"{source.file}:{line}:{col}: nested more than {MAX_DEPTH} levels deep; no spec field is, "
                                      "check the indentation or a YAML alias that refers to itself"])
    source.positions[path] = (line, col)
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise SpecError(source.file, [f"{source.file}:{key.start_mark.line + 1}:{key.start_mark.column + 1}: "
                                              f"{dotted_path(path)}: a key must be plain text, not a list or mapping"])
            name = key.value
            if name in seen:
                line, col = key.start_mark.line + 1, key.start_mark.column + 1
                raise SpecError(source.file, [f"{source.file}:{line}:{col}: {dotted_path((*path, name))}: key written twice; keep one"])
            seen.add(name)
            _index(value, (*path, name), source, budget)
            source.positions[(*path, name)] = (key.start_mark.line + 1, key.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), source, budget)


def _problem(err: dict) -> Problem:
    # pydantic adds validator tags such as "function-after[_name(), str]" to the path; they are not keys. The
    # unknown key of an extra_forbidden error is the user's own, whatever it holds (a `(` included).
    *head, last = err["loc"] or ("",)
    loc = (*(p for p in head if not (isinstance(p, str) and ("[" in p or "(" in p))), last)
    if err["type"] != "extra_forbidden" and isinstance(last, str) and ("[" in last or "(" in last):
        loc = loc[:-1]
    kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        msg = f"unknown key {loc[-1]!r}" + (f"; did you mean {hint[0]!r}?" if hint else ".") + (f" Valid keys: {', '.join(valid)}" if valid else "")
    elif kind == "missing":
        msg = "required key is missing"
    elif kind == "literal_error":
        msg = f"{err.get('input')!r} is not allowed; {msg[0].lower()}{msg[1:]}"
    return Problem(loc, msg)


def _valid_keys(loc: Loc) -> list[str]:
    """Field names of the model found at `loc`, for 'did you mean' hints."""
    current: object = Spec
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(tp: object, part: str | int) -> object:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if not isinstance(part, str) or part not in tp.model_fields:
            return None
        return _strip_optional(tp.model_fields[part].annotation)
    origin = typing.get_origin(tp)
    if origin in (list, dict):
        return _strip_optional(typing.get_args(tp)[-1])
    return None


def _strip_optional(tp: object) -> object:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    if typing.get_origin(tp) is typing.Annotated:
        return _strip_optional(typing.get_args(tp)[0])
    return tp
