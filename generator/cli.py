"""The `slogen` command: glue only. Every user mistake becomes a message and an exit code."""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from generator import pipeline, repo
from generator.errors import SlogenError, SpecError
from generator.tools.explain import explain as explain_service
from generator.harness.faults import FAULTS
from generator.spec.models import MAX_SLOS, Spec
from generator.write import drift, write

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Compile slo.yaml into a Prometheus, Alertmanager and Grafana bundle.")

SpecArg = Annotated[Path, typer.Argument(help="The spec file.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="The bundle folder.")]
MaxSlosOpt = Annotated[int, typer.Option("--max-slos", min=1, help="Refuse specs with more SLOs than this (a guard against runaway generated files).")]


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except SlogenError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(exc.exit_code) from None


@app.command()
def build(
    spec: SpecArg = Path("slo.yaml"),
    out: OutOpt = Path("out"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; fail and show the diff if out/ is stale.")] = False,
    max_slos: MaxSlosOpt = MAX_SLOS,
) -> None:
    """Build the bundle in OUT from SPEC, a spec file or a folder of them (atomically: a failed build leaves OUT as it was)."""
    with user_errors():
        if not check and not spec.is_dir():
            # One spec: each file goes to disk as it is rendered, the tests of a large one compiled beside the rest.
            bundle, count = pipeline.write_bundle(pipeline.load(spec, max_slos), out)
            _warn(list(bundle.warnings))
            typer.echo(f"built {count} files in {out}/ from {spec}")
            return
        rendered = _build(spec, max_slos)
        if check:
            lines = drift(out, rendered)
            if lines:
                typer.echo("\n".join(lines))
                typer.echo(f"{out}/ is stale: run `slogen build {spec}` and commit the result", err=True)
                raise typer.Exit(1)
            typer.echo(f"{out}/ is up to date with {spec}")
            return
        write(out, rendered)
        typer.echo(f"built {len(rendered)} files in {out}/ from {spec}")


def _built(spec: Path, max_slos: int) -> tuple[list, dict, list[str]]:
    """(services, rendered bundle, warnings) of a spec file, or of every spec in a folder."""
    if spec.is_dir():
        built, rendered = repo.build_all(spec, max_slos)
        return [b.service for b in built], rendered, [f"{b.path.name}: {w}" for b in built for w in b.bundle.warnings]
    service = pipeline.load(spec, max_slos)
    bundle, rendered = pipeline.compile_and_render(service, keep_documents=False)
    return [service], rendered, list(bundle.warnings)


def _build(spec: Path, max_slos: int) -> dict:
    """The rendered bundle; warnings go to stderr."""
    _, rendered, warnings = _built(spec, max_slos)
    _warn(warnings)
    return rendered


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


def _services(spec: Path, max_slos: int) -> list:
    return [s for _, s in repo.load_all(spec, max_slos)] if spec.is_dir() else [pipeline.load(spec, max_slos)]


@app.command("lint")
def lint_command(spec: SpecArg = Path("slo.yaml"), out: OutOpt = Path("out"), max_slos: MaxSlosOpt = MAX_SLOS) -> None:
    """Check the bundle of SPEC (a file or a folder of specs) with promtool, amtool, the CRD schemas and slogen's own checks."""
    with user_errors():
        services, rendered, _ = _built(spec, max_slos)
        from generator.tools import lint  # the checks pull in jsonschema and the Grafana schema: only when linting

        report = lint.run(lint.Context(out=out, service=services[0], rendered=rendered, others=tuple(services[1:])))
        typer.echo(report.render())
        if report.failed:
            raise typer.Exit(1)


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the JSON Schema.")] = Path("slo.schema.json"),
    check: Annotated[bool, typer.Option("--check", help="Fail if the file is stale.")] = False,
) -> None:
    """Write the spec's JSON Schema, for editor completion (`# yaml-language-server: $schema=...`)."""
    text = json.dumps(Spec.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            typer.echo(f"{out} is stale: run `slogen schema`", err=True)
            raise typer.Exit(1)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}")


class _ReportGroup(TyperGroup):
    """`slogen report LOGFILE...`, from before `report` had subcommands, still summarises logs."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:  # noqa: ANN001 - click's Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["logs", *args]
        return super().parse_args(ctx, args)


report_app = typer.Typer(cls=_ReportGroup, no_args_is_help=True, help="Reports: SLO attainment over a calendar range (`slo`), or a summary of slogen.instrument logs (`logs`).")
app.add_typer(report_app, name="report")
PrometheusOpt = Annotated[str, typer.Option("--prometheus", help="Base URL of the Prometheus HTTP API (VictoriaMetrics' works too), e.g. http://127.0.0.1:9090.")]
SpecOrDir = Annotated[Path, typer.Argument(help="The spec file, or a folder of specs.")]


@report_app.command("logs")
def report_logs(
    logs: Annotated[list[Path], typer.Argument(help="Log files with slogen.instrument's JSON lines.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="Group the table by user, feature or model (default: model and feature).")] = None,
    top: Annotated[int, typer.Option("--top", min=0, max=1000, help="How many of the most expensive calls to list.")] = 5,
    since: Annotated[str | None, typer.Option("--since", help="Only calls at or after this time: RFC 3339 (2026-12-05T09:00:00Z) or a duration back from now (1h, 7d).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only calls before this time, in the same forms as --since.")] = None,
) -> None:
    """Summarise slogen.instrument logs in one streaming pass: latency and TTFT percentiles and maximum, errors by type, spend, tokens and cache hits per model, feature or user, and the most expensive calls."""
    from generator.tools import report as summary  # only this command needs it

    with user_errors():
        typer.echo(summary.run(logs, by=by, top=top, since=since, until=until, as_json=as_json))


@report_app.command("slo")
def report_slo(
    spec: SpecOrDir = Path("slo.yaml"),
    prometheus: PrometheusOpt = "http://127.0.0.1:9090",
    month: Annotated[str | None, typer.Option("--month", help="A calendar month, YYYY-MM.")] = None,
    quarter: Annotated[str | None, typer.Option("--quarter", help="A calendar quarter, YYYY-QN.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Start of the range (a date or date and time, inclusive).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="End of the range (exclusive: --to 2026-12-01 ends with November).")] = None,
    tz: Annotated[str, typer.Option("--tz", help="Time zone of the calendar, e.g. Europe/Paris.")] = "UTC",
    fmt: Annotated[str, typer.Option("--format", help="md, csv or html (one self-contained page with charts).")] = "md",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report here (default: print it).")] = None,
    max_slos: MaxSlosOpt = MAX_SLOS,
) -> None:
    """Each SLO's attainment over exactly a calendar month, quarter or range, from the raw counters: budget spent, worst days, incidents, spend, a verdict."""
    from datetime import datetime, timezone

    from generator.tools import calendar, slo_report, slo_report_render
    from generator.tools.promapi import Prometheus

    if fmt not in slo_report_render.FORMATS:
        typer.echo(f"--format {fmt!r}: choose one of {', '.join(slo_report_render.FORMATS)}", err=True)
        raise typer.Exit(2)
    with user_errors():
        period = calendar.choose(month, quarter, start, end, tz).clipped(datetime.now(timezone.utc))
        services = _services(spec, max_slos)
        report = slo_report.build(Prometheus(prometheus), services, period)
    _write_text(slo_report_render.render(report, fmt), out)


def _instant(text: str | None) -> float | None:
    from datetime import datetime, timezone

    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"--at {text!r}: give unix seconds or an ISO date and time, e.g. 2026-11-14T09:30", err=True)
        raise typer.Exit(2) from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


@app.command("status")
def status_command(
    spec: SpecOrDir = Path("slo.yaml"),
    prometheus: PrometheusOpt = "http://127.0.0.1:9090",
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    fail_below: Annotated[float | None, typer.Option("--fail-below", min=0, max=100, help="Exit 1 when any SLO has less than this percentage of its error budget left (or no data).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="As of this time (unix seconds or an ISO date and time, UTC unless it says), e.g. after an incident; default now.")] = None,
    max_slos: MaxSlosOpt = MAX_SLOS,
) -> None:
    """Every SLO now, worst first: objective, SLI over its period, budget left, burn over 1h and 6h, time until the budget is gone, firing alerts."""
    from generator.tools import status as live
    from generator.tools.promapi import Prometheus

    with user_errors():
        rows, warnings = live.status(_services(spec, max_slos), Prometheus(prometheus), _instant(at))
    _warn(warnings)
    typer.echo(json.dumps(live.as_json(rows), indent=2) if as_json else live.table(rows))
    if fail_below is not None and (failing := live.below(rows, fail_below)):
        typer.echo(f"{len(failing)} SLO(s) below {fail_below:g}% of their error budget left (or without data): {', '.join(r.name for r in failing)}", err=True)
        raise typer.Exit(1)


import_app = typer.Typer(no_args_is_help=True, help="Write an equivalent slo.yaml from another tool's spec.")
export_app = typer.Typer(no_args_is_help=True, help="Write the SLOs in another tool's format.")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
ImportOut = Annotated[Path | None, typer.Option("--out", "-o", help="Where to write slo.yaml (default: print it).")]


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)  # all or nothing
    typer.echo(f"wrote {out}", err=True)


def _import(kind: str, file: Path, out: Path | None) -> None:
    import tempfile

    from generator import yamlout
    from generator.spec.load import Source, read_yaml
    from generator.tools import importers

    with user_errors():
        docs = read_yaml(file, Source(str(file)), documents=True)
    try:
        draft = importers.from_sloth(docs[0] if docs else {}) if kind == "sloth" else importers.from_openslo(docs)
    except importers.ImportError_ as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(2) from None
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:  # a field of the wrong shape
        typer.echo(f"{file}: not a {kind} spec this importer reads: a field holds the wrong kind of value ({type(exc).__name__}: "
                   f"{str(exc)[:120]}); check it against the {kind} format", err=True)
        raise typer.Exit(2) from None
    notes = [f"# - {n}" for n in draft.notes]
    header = [f"# Imported by slogen from {kind} {file.name}.", *(["# Not carried over, or changed:", *notes] if notes else [])]
    text = "# yaml-language-server: $schema=./slo.schema.json\n" + "\n".join(header) + "\n" + yamlout.dump(draft.spec)
    for n in draft.notes:
        typer.echo(f"note: {n}", err=True)
    if not draft.spec["slos"]:
        typer.echo(f"{file}: nothing to import; see the notes above", err=True)
        raise typer.Exit(2)
    # Nothing is written that `slogen build` would refuse: the draft goes through the same loader first.
    with tempfile.TemporaryDirectory(prefix="slogen-import-") as tmp:
        draft_path = Path(tmp) / (out.name if out is not None else "slo.yaml")
        draft_path.write_text(text, encoding="utf-8")
        try:
            pipeline.load(draft_path)
        except SpecError as exc:
            problems = "\n".join(f"  {p.replace(str(draft_path), 'imported spec')}" for p in exc.problems)
            typer.echo(f"{file}: the imported spec would not build, so nothing was written:\n{problems}\n"
                       f"fix these in {file.name} and import again", err=True)
            raise typer.Exit(2) from None
    _write_text(text, out)


@import_app.command("sloth")
def import_sloth(file: Annotated[Path, typer.Argument(help="A Sloth prometheus/v1 spec.")], out: ImportOut = None) -> None:
    """Sloth prometheus/v1 spec -> slo.yaml; what has no slogen equivalent is listed, not dropped."""
    _import("sloth", file, out)


@import_app.command("openslo")
def import_openslo(file: Annotated[Path, typer.Argument(help="OpenSLO v1 documents (kind SLO, ratioMetric).")], out: ImportOut = None) -> None:
    """OpenSLO v1 SLO documents -> slo.yaml; what has no slogen equivalent is listed, not dropped."""
    _import("openslo", file, out)


@export_app.command("openslo")
def export_openslo(spec: SpecArg = Path("slo.yaml"), out: ImportOut = None, max_slos: MaxSlosOpt = MAX_SLOS) -> None:
    """The spec's SLOs as OpenSLO v1 documents (a Service and one ratioMetric SLO each)."""
    import yaml

    from generator.tools import importers

    with user_errors():
        docs = importers.to_openslo(pipeline.load(spec, max_slos))
    _write_text(yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True), out)


@app.command()
def explain(spec: SpecArg = Path("slo.yaml"), max_slos: MaxSlosOpt = MAX_SLOS) -> None:
    """Show each SLO's error budget and what every alert costs and catches."""
    with user_errors():
        typer.echo("\n".join(explain_service(s) for s in _services(spec, max_slos)), nl=False)


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="Port of /metrics on 127.0.0.1.")] = 9464,
    rps: Annotated[float, typer.Option(help="Requests per second across the models and features.")] = 20.0,
    fault: Annotated[str, typer.Option(help="Fault to start with: " + ", ".join(FAULTS))] = "none",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed plays the same traffic.")] = 1,
) -> None:
    """A real anthropic client, instrumented by slogen.instrument, calling a fake API on 127.0.0.1; faults (POST /fault/<name>) are injected in that API."""
    if fault not in FAULTS:
        typer.echo(f"--fault: unknown fault {fault!r}; choose one of {', '.join(FAULTS)}", err=True)
        raise typer.Exit(2)
    from generator.harness.simulate import Simulator, Traffic

    try:
        with user_errors():
            sim = Simulator(Traffic(rps=rps, seed=seed, fault=fault), port=port)
    except OSError as exc:
        typer.echo(f"--port: cannot listen on 127.0.0.1:{port}: {exc.strerror}; pick a free port", err=True)
        raise typer.Exit(2) from None
    with sim:
        typer.echo(f"serving http://127.0.0.1:{sim.port}/metrics at {rps:g} requests/s; faults: curl -X POST http://127.0.0.1:{sim.port}/fault/<name>")
        for name, what in FAULTS.items():
            typer.echo(f"  {name:<18} {what}")
        try:
            sim.stopped.wait()
        except KeyboardInterrupt:
            pass


@app.command()
def demo(
    spec: SpecArg = Path("slo.yaml"),
    faults: Annotated[str, typer.Option(help="Faults to play in turn, comma-separated.")] = "none,latency,outage,ratelimit-squeeze,cost-runaway,vanish",
    seconds: Annotated[float, typer.Option(help="How long each fault lasts.")] = 60,
    rps: Annotated[float, typer.Option(help="Simulated requests per second.")] = 20,
) -> None:
    """Run the spec's bundle in real Prometheus and Alertmanager on 127.0.0.1 and play faults; print who is told."""
    chosen = [f.strip() for f in faults.split(",") if f.strip()]
    if unknown := [f for f in chosen if f not in FAULTS]:
        typer.echo(f"--faults: unknown {', '.join(unknown)}; choose from {', '.join(FAULTS)}", err=True)
        raise typer.Exit(2)
    from generator.harness.demo import run as run_demo

    with user_errors():
        try:
            run_demo(spec, chosen, seconds, rps, typer.echo)
        except FileNotFoundError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None


def main() -> None:
    """The console entry point: the command, then the exit handlers, then the end of the process
    without freeing its objects one by one (mypy's fast exit). A large build leaves millions of them,
    a tenth of a second or more to free for nothing; every command has closed what it opened."""
    gc.enable()  # off while `python -m generator` imported us; long-running commands need it
    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # what sys.exit("message") would have printed
        print(code, file=sys.stderr)
    status = code if isinstance(code, int) else (0 if code is None else 1)
    atexit._run_exitfuncs()  # multiprocessing's and logging's clean-up still run
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
