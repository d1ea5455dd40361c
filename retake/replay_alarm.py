"""Say at once, and loudly, when this worker cannot replay a run.

A run whose history today's code cannot replay (a nondeterminism error) does not fail:
the SDK's core logs a warning for each workflow task it fails and the server hands the
task out again, forever. Nobody sees a stuck run until a user asks where their clip is,
and a regeneration is often already paid. The worker therefore forwards the core's log
records to Python logging (`core_logging`), and `ReplayAlarm` turns each nondeterminism
record into one ERROR line per stuck run, naming the workflow id, the run and what did
not match (the patch or the command), and counts it in `retake_stuck_runs`.
docs/operations.md ("A run that does not replay") says what to do then.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from temporalio import workflow
from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

log = logging.getLogger("retake.replay")
CORE_LOGGER = "temporalio.core"
STUCK_RUNS_METRIC = "retake_stuck_runs"
_DETAIL = re.compile(r"Nondeterminism error: (?P<detail>.*?)(?:\"|$)")
_RUN_ID = re.compile(r"run_id[\"']?[:=]\s*[\"']?(?P<run>[0-9a-f-]{36})")
_REMEMBERED_RUNS = 10_000  # run id -> workflow id, most recent first


class _RunDirectory:
    """Which workflow a run id belongs to, for the runs this worker has activated."""

    def __init__(self) -> None:
        self._runs: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, run_id: str, workflow_id: str, workflow_type: str) -> None:
        with self._lock:
            self._runs[run_id] = (workflow_id, workflow_type)
            self._runs.move_to_end(run_id)
            while len(self._runs) > _REMEMBERED_RUNS:
                self._runs.popitem(last=False)

    def lookup(self, run_id: str) -> tuple[str, str] | None:
        with self._lock:
            return self._runs.get(run_id)


RUNS = _RunDirectory()


class RunDirectoryInterceptor(Interceptor):
    """Records each activated run's workflow id (outside the sandbox: this module's globals)."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _RememberRun


class _RememberRun(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput):
        info = workflow.info()
        RUNS.remember(info.run_id, info.workflow_id, info.workflow_type)
        return await super().execute_workflow(input)


class ReplayAlarm(logging.Handler):
    """One ERROR line and one count per run that fails to replay on this worker."""

    def __init__(self, count: Callable[[str], None] | None = None) -> None:
        super().__init__(level=logging.WARNING)
        self._count = count
        self._reported: set[str] = set()
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        fields = getattr(getattr(record, "temporal_log", None), "fields", None) or {}
        text_and_fields = f"{text} {fields}"
        if "Nondeterminism" not in text_and_fields and "NonDeterministic" not in text_and_fields:
            return
        run_match = _RUN_ID.search(text_and_fields)
        run_id = str(fields.get("run_id") or (run_match.group("run") if run_match else "unknown"))
        with self._lock:
            if run_id in self._reported:
                return
            self._reported.add(run_id)
        detail = _DETAIL.search(text_and_fields)
        what = detail.group("detail").strip() if detail else text[:300]
        known = RUNS.lookup(run_id)
        workflow_id, workflow_type = known if known else ("unknown", "unknown")
        log.error(
            "STUCK RUN: workflow %s (%s), run %s, cannot replay with this build: %s. "
            "The server retries it until a build that replays it runs; see "
            "docs/operations.md, 'A run that does not replay'.",
            workflow_id, workflow_type, run_id, what,
        )
        if self._count is not None:
            self._count(workflow_type)


def core_logging(alarm: ReplayAlarm) -> LoggingConfig:
    """The SDK core's warnings, forwarded to Python logging with the alarm listening."""
    core = logging.getLogger(CORE_LOGGER)
    core.addHandler(alarm)
    return LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=core),
    )
