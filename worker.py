"""Retake worker: connect, register RegenerateClipWorkflow and its activities, run.

Configuration is the environment (see README): TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE /
TEMPORAL_API_KEY / TLS through the SDK's envconfig; DATABASE_URL (else the embedded
Postgres); OPENAI_API_KEY (else the offline planner); GOOGLE_CLOUD_PROJECT with
Application Default Credentials (else the preview video backend). RETAKE_DEPLOYMENT_NAME and
RETAKE_BUILD_ID to join a worker deployment as a pinned build (else unversioned;
docs/operations.md). SIGINT/SIGTERM drain and stop.

On DATABASE_URL the worker checks the schema and refuses an older one (migrations are
applied by `starter.py migrate` with a login of their own); it migrates itself on the
embedded Postgres, or where RETAKE_AUTO_MIGRATE=true.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from activities.config import Settings
from activities.postgres.embedded import (
    EmbeddedPostgresRefused,
    resolve_database_url,
    stop_embedded,
)
from activities.postgres.migrations import SchemaOutdated
from activities.postgres.pool import create_pool
from retake.client import connect
from retake.encryption import EncryptionKeyError, keys_from_environment
from retake.encryption import describe as describe_encryption
from retake.replay_alarm import STUCK_RUNS_METRIC, ReplayAlarm, core_logging
from retake.wiring import RetakeActivities, build_worker, describe_backends
from retake.worker_version import describe_version

log = logging.getLogger("retake.worker")


def install_runtime(settings: Settings) -> None:
    """The SDK runtime: its core's warnings reach Python logging, where the replay alarm
    listens (retake/replay_alarm.py); Prometheus metrics when RETAKE_METRICS_ADDRESS is set."""
    counter: list = []
    alarm = ReplayAlarm(count=lambda kind: counter[0].add(1, {"workflow_type": kind}))
    metrics = (
        PrometheusConfig(bind_address=settings.metrics_address) if settings.metrics_address else None
    )
    runtime = Runtime(telemetry=TelemetryConfig(logging=core_logging(alarm), metrics=metrics))
    counter.append(runtime.metric_meter.create_counter(
        STUCK_RUNS_METRIC, "runs this worker could not replay (stuck until a build that can)"
    ))
    Runtime.set_default(runtime, error_if_already_set=True)


async def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    try:  # a wrong or missing key stops the worker now, not at its first payload
        keys = keys_from_environment()
    except EncryptionKeyError as exc:
        log.error("cannot start: %s", exc)
        return 2
    install_runtime(settings)
    try:  # no database, or an older schema: said now, before any work is taken
        dsn = await resolve_database_url(settings, refuse_in_container=True)
        pool = await create_pool(dsn, migrate=settings.migrates_itself)
    except (EmbeddedPostgresRefused, SchemaOutdated) as exc:
        log.error("cannot start: %s", exc)
        stop_embedded()
        return 2
    client = await connect()
    try:  # a provider that cannot be used as configured stops the worker here, not later
        activities = RetakeActivities.from_settings(settings, pool)
    except ValueError as exc:
        log.error("cannot start: %s", exc)
        await pool.close()
        stop_embedded()
        return 2
    worker = build_worker(client, settings, activities)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    log.info(
        "worker on task queues %s (%s); %s; %s",
        ", ".join(worker.task_queues),
        describe_version(worker.workers[0].config().get("deployment_config")),
        describe_backends(settings),
        describe_encryption(keys),
    )
    async with worker:
        await stop.wait()
        log.info("stopping: finishing in-flight tasks")
    await pool.close()
    stop_embedded()
    return 0


if __name__ == "__main__":
    from retake.process import exit_without_teardown

    exit_without_teardown(asyncio.run(main()))
