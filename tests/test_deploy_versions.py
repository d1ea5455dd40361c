"""Safe deploys: a run finishes on the worker build that started it (docs/operations.md).

Two real worker programs join one worker deployment on a dev server of their own:
build v1 runs today's policy (A), build v2 runs policy B (tests/support/policy_b_worker.py:
the 'brighter' template moved from 0.65 to 0.45, so it reuses the stored seed, and
POLICY_VERSION bumped). The deployment is driven with the same `temporal worker deployment`
commands the runbook gives. A run in flight on v1 when v2 becomes current completes on
v1 with policy A's plan; new runs get policy B; a rollback sends new runs back to v1;
v1 then drains, stops and is deleted. And the first switch from unversioned workers, as
the runbook gives it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import pytest
from temporalio.api.enums.v1 import VersioningBehavior
from temporalio.client import Client

from retake.client import get_progress, start_regeneration
from retake.embedded import start_dev_server, temporal_cli_path
from retake.worker_version import code_build_id
from tests.support.worker_process import WorkerProcess, worker_env
from workflows.decisions import POLICY_VERSION
from workflows.models import RegenerateClipInput, RegenerateOptions

# Drainage is re-checked every second instead of every few minutes, and a stopped
# worker's pollers are forgotten after 2 s, so a version can be retired within the test.
FAST_DRAINAGE = {
    "matching.wv.VersionDrainageStatusRefreshInterval": '"1s"',
    "matching.wv.VersionDrainageStatusVisibilityGracePeriod": '"1s"',
    "matching.PollerHistoryTTL": '"2s"',
}
FAST = RegenerateOptions(poll_interval_seconds=0.2, deadline_seconds=300)


@pytest.fixture(scope="module")
async def deploy_server():
    env = await start_dev_server(ui=False, dynamic_config=FAST_DRAINAGE)
    try:
        yield env
    finally:
        await env.shutdown()


class DeploymentCli:
    """`temporal worker deployment ...` against one server, as an operator types it."""

    def __init__(self, address: str, deployment: str) -> None:
        self.address, self.deployment = address, deployment

    async def run(self, *args: str, command: tuple[str, ...] = ("worker", "deployment")) -> str:
        proc = await asyncio.create_subprocess_exec(
            temporal_cli_path(), *command, *args,
            "--address", self.address, "--namespace", "default",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"temporal {' '.join(command + args)}: {err.decode()}")
        return out.decode()

    async def set_current(self, build_id: str) -> None:
        """set-current-version, retried until the build's workers have registered it."""
        async with asyncio.timeout(30):
            while True:
                try:
                    await self.run("set-current-version", "--deployment-name", self.deployment,
                                   "--build-id", build_id, "--yes")
                    return
                except RuntimeError:
                    await asyncio.sleep(0.3)

    async def describe_version(self, build_id: str) -> dict:
        return json.loads(await self.run("describe-version", "--deployment-name", self.deployment,
                                         "--build-id", build_id, "--output", "json"))

    async def running_on(self, build_id: str) -> list[str]:
        """Ids of the open runs pinned to a build (the runbook's visibility query)."""
        query = (f"TemporalWorkerDeploymentVersion = '{self.deployment}:{build_id}'"
                 " AND ExecutionStatus = 'Running'")
        out = await self.run("--query", query, "--output", "json", command=("workflow", "list"))
        return [run["execution"]["workflowId"] for run in json.loads(out or "[]")]

    async def wait_drainage(self, build_id: str, status: str) -> dict:
        async with asyncio.timeout(30):
            while True:
                described = await self.describe_version(build_id)
                if described["drainageInfo"]["drainageStatus"] == status:
                    return described
                await asyncio.sleep(0.3)


async def saved_version(db_pool, job_id, clip: int) -> dict:
    row = await db_pool.fetchrow(
        "SELECT temperature, generation_seed, policy_version FROM clip_versions"
        " WHERE job_id = $1 AND clip_index = $2 AND is_current",
        job_id, clip,
    )
    return dict(row)


async def wait_for_stage(handle, stage: str):
    async with asyncio.timeout(60):
        while (progress := await get_progress(handle)).stage != stage:
            await asyncio.sleep(0.1)
    return progress


@dataclass
class Deploy:
    """One worker deployment on the test's server: its CLI, worker programs and requests."""

    client: Client
    cli: DeploymentCli
    env: dict
    tmp_path: Path
    job_id: UUID
    task_queue: str = field(default_factory=lambda: f"retake-deploy-{uuid.uuid4().hex[:8]}")

    def worker(self, name: str, **extra: str) -> WorkerProcess:
        """A worker.py process on the Veo emulator; `extra` adds environment variables."""
        env = worker_env(task_queue=self.task_queue, data_dir=self.tmp_path / name, **self.env,
                         **extra)
        return WorkerProcess(env=env, log_path=self.tmp_path / f"{name}.log")

    async def start(self, clip: int):
        inp = RegenerateClipInput(job_id=self.job_id, clip_index=clip,
                                  instruction="make it brighter", options=FAST)
        return await start_regeneration(self.client, inp, task_queue=self.task_queue)


@pytest.fixture
def deploy(deploy_server, postgres_dsn, sample_job_id, fresh_veo_emulator, tmp_path) -> Deploy:
    client = deploy_server.client
    address = client.service_client.config.target_host
    cli = DeploymentCli(address, f"retake-{uuid.uuid4().hex[:8]}")
    env = dict(temporal_address=address, database_url=postgres_dsn, veo=fresh_veo_emulator)
    return Deploy(client, cli, env, tmp_path, sample_job_id)


async def test_in_flight_run_finishes_on_its_build_while_new_runs_use_the_new_one(
    deploy, db_pool, sample_job_id, fresh_veo_emulator
):
    veo, cli = fresh_veo_emulator, deploy.cli
    deployment = cli.deployment
    v1_build, v2_build = code_build_id(), f"{code_build_id()}-policy-b"
    worker = functools.partial(deploy.worker, RETAKE_DEPLOYMENT_NAME=deployment)

    v1 = worker("v1")  # no RETAKE_BUILD_ID: the build id derived from the code
    v2 = worker("v2", RETAKE_BUILD_ID=v2_build)
    v2.program = ("tests/support/policy_b_worker.py",)
    try:
        await asyncio.gather(v1.start(), v2.start())  # v2 polls, but gets nothing until current
        assert f"build '{v1_build}'" in v1.log_text()
        await cli.set_current(v1_build)

        # A run on v1 waits on Veo: the job is held until the test lets it finish.
        veo.configure(job_seconds=3600)
        in_flight = await deploy.start(0)
        assert (await wait_for_stage(in_flight, "waiting")).policy_version == POLICY_VERSION

        await cli.set_current(v2_build)
        await cli.wait_drainage(v1_build, "draining")
        assert await cli.running_on(v1_build) == [in_flight.id]

        # New runs go to v2 and plan with policy B.
        veo.configure(job_seconds=0)
        new = await (await deploy.start(1)).result()
        assert new.policy_version == POLICY_VERSION + 1
        assert new.temperature == 0.45 and new.seed_reused and new.seed == 1007
        assert (await saved_version(db_pool, sample_job_id, 1)) == {
            "temperature": 0.45, "generation_seed": 1007, "policy_version": POLICY_VERSION + 1}

        # Rollback is set-current-version back to v1 (its workers still run); then forward.
        await cli.set_current(v1_build)
        rolled_back = await (await deploy.start(2)).result()
        assert (rolled_back.policy_version, rolled_back.temperature) == (POLICY_VERSION, 0.65)
        await cli.set_current(v2_build)

        # The in-flight run completes on v1, with the plan policy A made.
        veo.finish_jobs()
        old = await in_flight.result()
        assert old.policy_version == POLICY_VERSION
        assert old.temperature == 0.65 and not old.seed_reused and old.seed != 1000
        assert (await saved_version(db_pool, sample_job_id, 0)) == {
            "temperature": 0.65, "generation_seed": old.seed, "policy_version": POLICY_VERSION}
        versioning = (await in_flight.describe()).raw_description.workflow_execution_info
        assert versioning.versioning_info.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
        assert versioning.versioning_info.deployment_version.build_id == v1_build
        submitted = {s["parameters"]["seed"]: s["parameters"] for s in veo.submissions()}
        # Veo 3.x rewrites prompts whatever is asked: neither policy sends enhancePrompt.
        assert "enhancePrompt" not in submitted[old.seed] and "enhancePrompt" not in submitted[1007]

        # v1 drains, stops and is deleted; v2 keeps serving.
        await cli.wait_drainage(v1_build, "drained")
        v1.stop()
        async with asyncio.timeout(30):
            while True:
                try:
                    await cli.run("delete-version", "--deployment-name", deployment,
                                  "--build-id", v1_build)
                    break
                except RuntimeError as err:
                    assert "active pollers" in str(err), err
                    await asyncio.sleep(0.5)
        described = json.loads(await cli.run("describe", "--name", deployment, "--output", "json"))
        assert [v["BuildID"] for v in described["versionSummaries"]] == [v2_build]
        after = await (await deploy.start(4)).result()
        assert (after.policy_version, after.temperature) == (POLICY_VERSION + 1, 0.45)
    finally:
        v1.stop()
        v2.stop()


async def test_first_switch_runbook_finishes_unversioned_runs_and_pins_new_ones(
    deploy, fresh_veo_emulator
):
    """The runbook's first switch: after set-current, the run started unversioned is listed
    by the runbook's query, finishes with today's policy (on whichever worker takes its
    next task: an unversioned run may move to the current build or finish where it
    started), the list empties, the unversioned worker stops, and new runs are pinned."""
    veo, cli = fresh_veo_emulator, deploy.cli
    unversioned = deploy.worker("unversioned")
    v1 = deploy.worker("v1", RETAKE_DEPLOYMENT_NAME=cli.deployment)
    try:
        await asyncio.gather(unversioned.start(), v1.start())
        assert "(unversioned)" in unversioned.log_text()
        veo.configure(job_seconds=3600)
        in_flight = await deploy.start(0)
        await wait_for_stage(in_flight, "waiting")

        await cli.set_current(code_build_id())
        query = "TemporalWorkerDeploymentVersion IS NULL AND ExecutionStatus = 'Running'"

        async def unversioned_running() -> list[str]:
            listed = json.loads(await cli.run("--query", query, "--output", "json",
                                              command=("workflow", "list")) or "[]")
            return [run["execution"]["workflowId"] for run in listed]

        assert in_flight.id in await unversioned_running()

        # As the runbook says: the unversioned workers stay until no unversioned run is
        # left (stopping them earlier once left a pending wait with no poller, under load).
        veo.finish_jobs()
        result = await asyncio.wait_for(in_flight.result(), 90)
        assert result.status == "completed" and result.policy_version == POLICY_VERSION
        async with asyncio.timeout(30):  # visibility catches up with the completion
            while in_flight.id in await unversioned_running():
                await asyncio.sleep(0.3)
        unversioned.stop()

        veo.configure(job_seconds=0)
        after = await deploy.start(1)
        assert (await after.result()).status == "completed"
        info = (await after.describe()).raw_description.workflow_execution_info
        assert info.versioning_info.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
        assert info.versioning_info.deployment_version.build_id == code_build_id()
    finally:
        unversioned.stop()
        v1.stop()
