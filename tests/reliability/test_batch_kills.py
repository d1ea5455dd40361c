"""20 concurrent regenerations while the worker process is SIGKILLed at random moments.

The moments come from a seeded generator (RETAKE_RELIABILITY_SEED, default 20),
so a run can be repeated; where each kill lands depends on timing and is read back
from the histories afterwards. All 20 must complete with exactly 20 new versions.
Paid once is checked operation by operation (tests/reliability/money.py): every
operation Veo accepted is in the ledger or explained by a possible duplicate the
ledger counted (a kill mid-POST), each clip's one saved version is one paid operation,
and the results report the same possible duplicates as the ledger.
"""

from __future__ import annotations

import asyncio
import os
import random
from uuid import uuid4

from temporalio.api.enums.v1 import PendingActivityState

from activities.job_store.sample_data import load_sample_job
from retake.client import start_regeneration
from tests.reliability.helpers import (
    RECOVERY_TIMEOUT,
    GatedVeo,
    activity_attempts,
    pending_activity,
    request,
    versions,
)
from tests.reliability.money import check_paid_once

STARTED = PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
JOBS, CLIPS_PER_JOB = 4, 5  # 20 regenerations of different clips
KILLS = 4
SEED = int(os.environ.get("RETAKE_RELIABILITY_SEED", "20"))
INSTRUCTIONS = ["make it nighttime", "make it a bit brighter", "completely regenerate this scene",
                "keep everything the same but make her hair blonde", "make it darker"]


async def test_twenty_regenerations_survive_random_worker_kills(
    temporal_client, db_pool, spawn_worker, figures
):
    rng = random.Random(SEED)
    veo = GatedVeo(job_seconds=2.0).start()
    try:
        worker = spawn_worker("batch", veo=veo)
        await worker.start()
        jobs = [await load_sample_job(db_pool, job_id=uuid4()) for _ in range(JOBS)]
        targets = [(job, clip) for job in jobs for clip in range(CLIPS_PER_JOB)]
        handles = [
            await start_regeneration(
                temporal_client, request(job, clip, INSTRUCTIONS[clip]),
                task_queue=worker.env["RETAKE_TASK_QUEUE"])
            for job, clip in targets
        ]
        results = asyncio.gather(*(h.result() for h in handles))

        moments = []
        for _ in range(KILLS):
            moment = rng.uniform(0.2, 2.5)  # seconds after the worker said it was polling
            await asyncio.sleep(moment)
            pending = await asyncio.gather(
                *(pending_activity(h, "submit_generation") for h in handles))
            worker.kill()  # a few ms after the look, so "in flight" is approximate
            mine = f"{worker.pid}@"  # the SDK's default worker identity is pid@host
            in_submit = sum(1 for p in pending if p is not None and p.state == STARTED
                            and p.last_worker_identity.startswith(mine))
            moments.append(f"#{len(moments) + 1} at {moment:.1f} s ({in_submit} submits in flight)")
            await worker.start()
        done = await asyncio.wait_for(results, RECOVERY_TIMEOUT * 2)

        paid_operations = veo.paid_submissions()
        # Store is a local activity (a marker, no attempts in history): only submits count.
        cut_submits = sum([await activity_attempts(h, "submit_generation") > 1 for h in handles])
        new_versions = [await versions(db_pool, job, clip) for job, clip in targets]
    finally:
        veo.stop()

    assert all(r.status == "completed" and r.version == 2 for r in done)
    assert all(v == [1, 2] for v in new_versions)  # exactly one new version per clip
    money = await check_paid_once(db_pool, paid_operations, targets)
    assert sum(r.possible_duplicate_charges for r in done) == money.counted
    assert worker.kills == KILLS
    figures.add(
        f"{len(targets)} concurrent, worker SIGKILLed {KILLS}x at random moments (seed {SEED})",
        runs=len(targets), kills=worker.kills, completions=len(done), submissions=money.paid,
        versions=sum(len(v) - 1 for v in new_versions),
        notes=f"kills (s after the worker was ready): {'; '.join(moments)}. Submit calls cut by a kill "
              f"(attempt > 1 in history): "
              f"{cut_submits}; "
              f"paid twice: {money.extra}; possible duplicates counted: {money.counted}",
    )
