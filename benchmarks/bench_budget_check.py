"""What the budget check adds to reserving a submission (issue 26).

Times `mark_submitting` (the reserving transaction, before the paid POST) with no budget
set and with all three set, on the same Postgres; each run reserves a new regeneration
id. The check stays inside the one transaction: lock, read committed, insert. Also times
the plan's read of what is left (`spend_terms`), which a regeneration makes once.

    .venv/bin/python benchmarks/bench_budget_check.py [runs]
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from decimal import Decimal

from stack import bench_stack, summary_ms

from activities.job_store.sample_data import load_sample_job
from activities.video.budgets import Budgets
from activities.video.spend_activities import SpendActivities
from activities.video.submission_ledger import SubmissionLedger
from workflows.spend_models import SpendQuery
from workflows.step_models import GenerationRequest

ALL_THREE = Budgets(per_day=Decimal(10**6), per_job=Decimal(10**6),
                    per_account_per_day=Decimal(10**6))


async def _reserve(ledger: SubmissionLedger, job) -> float:
    req = GenerationRequest(regeneration_id=f"bench-{uuid.uuid4()}/0", job_id=job, clip_index=0,
                            model="veo-3.1-generate-001", prompt="p", seed=1, duration_seconds=8,
                            account_id="bench-account")
    async with ledger.reservation(req) as held:
        t0 = time.perf_counter()
        await held.mark_submitting("veo", possible_duplicate=False)
        return time.perf_counter() - t0


async def _read_terms(spend: SpendActivities, job) -> float:
    t0 = time.perf_counter()
    await spend.spend_terms(SpendQuery(job_id=job, account_id="bench-account"))
    return time.perf_counter() - t0


async def measure(runs: int) -> dict[str, list[float]]:
    async with bench_stack(temporal=False) as stack:
        free, capped = SubmissionLedger(stack.pool), SubmissionLedger(stack.pool, ALL_THREE)
        spend = SpendActivities(stack.pool, ALL_THREE)
        job = await load_sample_job(stack.pool, job_id=uuid.uuid4())
        out: dict[str, list[float]] = {"reserve, no budget": [], "reserve, all three": [],
                                       "plan reads what is left": []}
        for _ in range(20):  # warm-up, and rows for the sums to read
            await _reserve(capped, job)
        for _ in range(runs):  # interleaved, so drift hits both alike
            out["reserve, no budget"].append(await _reserve(free, job))
            out["reserve, all three"].append(await _reserve(capped, job))
            out["plan reads what is left"].append(await _read_terms(spend, job))
        return out


def run(runs: int = 200) -> str:
    found = asyncio.run(measure(runs))
    lines = ["## Budget check in the reserving transaction (issue 26)", "",
             f"{runs} of each, interleaved; Postgres (pgserver) on the same machine. The check "
             "is one advisory lock and one SUM in the same transaction as the reservation's "
             "insert: no extra round trip to another service.", "",
             "| step | median | p95 |", "|---|---|---|"]
    for name, values in found.items():
        median, p95 = summary_ms(values)
        lines.append(f"| {name} | {median:.2f} ms | {p95:.2f} ms |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
