"""The log line's LogRecord is the one the stdlib would have made: handlers, formatters and filters that read
any of its fields (thread, process, time, level) see what logger.log gives them, and a service's own record
factory or logger class still makes its records."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time

import pytest

from slogen import _logline as logline


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept():
    handler, logger = _Kept(), logging.getLogger("slogen.test.logline")
    logger.handlers[:], logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    yield logger, handler.records
    logger.handlers[:] = []


def _stdlib(logger: logging.Logger, level: int, line: str) -> logging.LogRecord:
    return logger.makeRecord(logger.name, level, logline.__file__, 0, line, (), None, "record")


@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_the_record_has_every_field_the_stdlib_gives_with_the_same_values(kept, level):
    logger, records = kept
    now = time.time()
    logline.log(logger, level, '{"event":"llm_call"}', now)
    logger.handle(_stdlib(logger, level, '{"event":"llm_call"}'))  # the same handlers see both
    record, expected = records
    assert type(record) is logging.LogRecord
    assert set(vars(record)) == set(vars(expected))
    timed = {"created", "msecs", "relativeCreated"}
    assert {k: v for k, v in vars(record).items() if k not in timed} == {k: v for k, v in vars(expected).items() if k not in timed}
    assert record.created == now and record.msecs == int((now - int(now)) * 1000)
    # relativeCreated counts from logging's own start, as the stdlib's record does
    assert abs((expected.relativeCreated - record.relativeCreated) - (expected.created - now) * 1000) < 1e-3
    assert record.getMessage() == '{"event":"llm_call"}' and json.loads(logging.Formatter().format(record))


def test_each_thread_gets_its_own_ident_and_its_current_name(kept):
    logger, records = kept
    logline.log(logger, logging.INFO, "{}", time.time())

    def other() -> None:
        logline.log(logger, logging.INFO, "{}", time.time())
        threading.current_thread().name = "renamed"
        logline.log(logger, logging.INFO, "{}", time.time())

    worker = threading.Thread(target=other, name="worker")
    worker.start()
    worker.join()
    assert [(r.thread, r.threadName) for r in records] == [
        (threading.get_ident(), threading.current_thread().name), (worker.ident, "worker"), (worker.ident, "renamed"),
    ]


def test_a_services_own_record_factory_and_logger_class_make_its_records(kept):
    logger, records = kept

    class Tagged(logging.LogRecord):
        pass

    before = logging.getLogRecordFactory()
    logging.setLogRecordFactory(Tagged)
    try:
        logline.log(logger, logging.INFO, "{}", time.time())
    finally:
        logging.setLogRecordFactory(before)

    class Own(logging.Logger):
        def makeRecord(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202, N802
            record = super().makeRecord(*args, **kwargs)
            record.service = "checkout"
            return record

    own = Own("slogen.test.own")
    own.handlers[:], own.propagate = logger.handlers, False
    logline.log(own, logging.INFO, "{}", time.time())
    assert type(records[0]) is Tagged and records[1].service == "checkout"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
# Python 3.12+ warns of fork in a threaded process (pytest-xdist's); the child only logs and writes a pipe.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_records_its_own_pid(kept):
    logger, records = kept
    logline.log(logger, logging.INFO, "{}", time.time())  # the parent's prototype exists before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the pid its record carries, and leave without running pytest's exit
        try:
            logline.log(logger, logging.INFO, "{}", time.time())
            os.write(write, str(records[-1].process).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as got:
        reported = got.read()
    os.waitpid(pid, 0)
    assert records[0].process == os.getpid() and reported == str(pid)


def test_the_task_name_is_the_running_asyncio_tasks_as_python_3_12_records_it():
    async def named() -> str | None:
        return logline._task_name()  # noqa: SLF001

    assert asyncio.run(named()).startswith("Task-") and logline._task_name() is None  # noqa: SLF001


def test_turning_thread_and_process_names_off_is_heard_as_the_stdlib_hears_it(kept, monkeypatch):
    logger, records = kept
    logline.log(logger, logging.INFO, "{}", time.time())
    monkeypatch.setattr(logging, "logThreads", False)
    monkeypatch.setattr(logging, "logMultiprocessing", False)
    logline.log(logger, logging.INFO, "{}", time.time())
    assert records[0].threadName is not None and (records[1].thread, records[1].threadName, records[1].processName) == (None, None, None)
