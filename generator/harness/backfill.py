"""Weeks of history in minutes: counters written as OpenMetrics, turned into TSDB blocks by promtool,
served by a real Prometheus on 127.0.0.1; rules evaluated over that past by promtool's rule backfiller.

For the report's correctness test and its benchmark: a calendar month of data without waiting a month.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import yaml

from generator import conventions as conv
from generator.durations import parse_seconds
from generator.harness.stack import HOST, _binary, _get, _stop, free_port, wait_for
from generator.resolve import HistogramSLI, RatioSLI, ResolvedSLO

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    return ",".join(f'{k}="{v}"' for k, v in labels)


Family = tuple[str, list[tuple[str, Labels, Iterable[tuple[float, float]]]]]  # (type, [(sample name, labels, points)])


def write_openmetrics(path: Path, families: dict[str, Family]) -> None:
    """Families as OpenMetrics text, each series' samples in time order (seconds)."""
    with path.open("w", encoding="utf-8") as out:
        for family, (kind, series) in families.items():
            out.write(f"# TYPE {family} {kind}\n")
            for name, labels, points in series:
                head = f"{name}{{{_labels(labels)}}} "
                out.writelines(f"{head}{value:.17g} {int(ts)}\n" for ts, value in points)
        out.write("# EOF\n")


def create_blocks(openmetrics: Path, data: Path, max_block: str = "744h") -> None:
    _promtool("tsdb", "create-blocks-from", "openmetrics", f"--max-block-duration={max_block}", str(openmetrics), str(data))


def backfill_rules(url: str, rules: Path, start: float, end: float, data: Path, eval_interval: str = "5m") -> None:
    """promtool's rule backfiller: the rules evaluated at every step of [start, end] against `url`, written as blocks."""
    _promtool("tsdb", "create-blocks-from", "rules", f"--start={int(start)}", f"--end={int(end)}", f"--url={url}",
              f"--output-dir={data}", f"--eval-interval={eval_interval}", str(rules))


def _promtool(*args: str) -> None:
    result = subprocess.run([_binary("promtool"), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"promtool {' '.join(args[:3])} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


@contextmanager
def serving(data: Path) -> Iterator[str]:
    """A Prometheus on the blocks in `data` (nothing scraped, nothing dropped for age); yields its URL."""
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="slogen-backfill-")))
        (work / "prometheus.yml").write_text(yaml.safe_dump({"global": {"scrape_interval": "1m"}}))
        port = free_port()
        log = stack.enter_context((work / "prometheus.log").open("w"))
        proc = subprocess.Popen([
            _binary("prometheus"), f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
            f"--web.listen-address={HOST}:{port}", "--storage.tsdb.retention.time=100y", "--query.lookback-delta=5m",
        ], stdout=log, stderr=subprocess.STDOUT)
        stack.callback(_stop, proc)
        url = f"http://{HOST}:{port}"
        wait_for(lambda: proc.poll() is None and _get(f"{url}/-/ready") is not None, 60, f"Prometheus on {data} ready", every=0.2)
        yield url


def _rates(slo: ResolvedSLO, window: str) -> tuple[str, str]:
    """(bad, total) events per second over `window`, from the raw counters."""
    sli = slo.sli
    total = f"sum(rate({sli.total}[{window}]))"
    if isinstance(sli, RatioSLI):
        return f"(sum(rate({sli.bad}[{window}])) or 0 * {total})", total
    assert isinstance(sli, HistogramSLI)
    return f"({total} - sum(rate({sli.good}[{window}])))", total


def burn_conditions(slos: Iterable[ResolvedSLO]) -> list[tuple[Labels, str]]:
    """(ALERTS labels, condition) for each SLO's burn alert per severity: present wherever one of its pairs
    burns (both windows over the factor, the long window holding the minimum bad events), which is when
    the bundle's alert of that severity fires (its latch only decides which tier holds the incident)."""
    out = []
    for slo in slos:
        budget = float(slo.budget)
        for severity in dict.fromkeys(p.severity for p in slo.pairs):
            terms = []
            for p in slo.pairs_of(severity):
                (long_bad, long_total), (short_bad, short_total) = _rates(slo, p.long), _rates(slo, p.short)
                factor = float(p.factor)
                terms.append(f"({long_bad} / {long_total} / {budget!r} > {factor!r} and {short_bad} / {short_total} / {budget!r} > {factor!r} "
                             f"and {long_bad} * {int(parse_seconds(p.long))} >= {slo.min_events})")
            labels = {conv.LABEL_ALERTNAME: slo.burn_alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_SEVERITY: severity,
                      conv.LABEL_SLO: slo.name, conv.LABEL_SERVICE: slo.service}
            out.append((tuple(sorted(labels.items())), " or ".join(terms)))
    return out


MAX_POINTS = 10000  # Prometheus answers at most 11,000 points per series of a range query


def alerts_history(url: str, slos: Iterable[ResolvedSLO], start: float, end: float, step: float = 300) -> Family:
    """The bundle's burn alerts over [start, end] as an `ALERTS` gauge family: each condition evaluated
    by the Prometheus at `url` (its query engine, a range query per chunk), one sample where it held.

    Not `promtool tsdb create-blocks-from rules`: it evaluates recording rules only (the bundle's alerts
    read their own ALERTS to hold an incident), and it writes a block per rule per two hours, thousands
    for weeks of history, minutes of work."""
    from generator.tools.promapi import Prometheus

    prometheus, series = Prometheus(url), []
    for labels, condition in burn_conditions(slos):
        points, at = [], start
        while at <= end:
            until = min(end, at + step * (MAX_POINTS - 1))
            points += [t for s in prometheus.query_range(condition, at, until, step) for t, _ in s.points]
            at = until + step
        series.append((conv.ALERTS, labels, [(t, 1.0) for t in sorted(points)]))
    return ("gauge", series)
