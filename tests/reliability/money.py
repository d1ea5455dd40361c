"""Paid once, checked three ways: what Veo accepted, what the ledger holds, what was saved.

The emulator's `paid_submissions()` names every operation Veo accepted (each one paid).
The ledger (`veo_operations`, one row per accepted operation it learnt of, and
`veo_submissions.possible_duplicates`, the POSTs an attempt may have paid without
learning the operation) and `clip_versions` must agree with it:

- every operation in the ledger was paid at Veo (nothing invented);
- each regenerated clip has exactly one new version, saved from a paid operation of
  the ledger (its regeneration id's one operation that succeeded in veo_operations);
- a clip paid more than once is explained by possible duplicates counted for it, and
  paid operations the ledger never learnt of are no more than the duplicates counted.

So a second payment for one regeneration fails unless it was counted as one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from uuid import UUID

import asyncpg


@dataclass
class PaidOnce:
    paid: int  # operations Veo accepted
    extra: int  # paid beyond one per regeneration
    counted: int  # possible duplicates the ledger counted


async def check_paid_once(pool: asyncpg.Pool, paid_operations: list[dict],
                          targets: list[tuple[UUID, int]]) -> PaidOnce:
    """Assert the emulator, the ledger and the saved versions agree (see module doc)."""
    jobs = sorted({job for job, _ in targets})
    operations = await pool.fetch(
        "SELECT operation_name, job_id, clip_index FROM veo_operations"
        " WHERE job_id = ANY($1::uuid[])", jobs)
    counted = {
        (r["job_id"], r["clip_index"]): r["duplicates"]
        for r in await pool.fetch(
            "SELECT job_id, clip_index, sum(possible_duplicates)::int AS duplicates"
            " FROM veo_submissions WHERE job_id = ANY($1::uuid[]) GROUP BY 1, 2", jobs)
    }
    saved: dict[tuple[UUID, int], list[tuple[int, str | None]]] = {}
    for r in await pool.fetch(
        "SELECT v.job_id, v.clip_index, v.version_number, o.operation_name FROM clip_versions v"
        " LEFT JOIN veo_operations o ON o.regeneration_id LIKE v.regeneration_id || '/%'"
        "  AND o.outcome = 'succeeded'"
        " WHERE v.job_id = ANY($1::uuid[]) AND v.version_number > 1", jobs):
        saved.setdefault((r["job_id"], r["clip_index"]), []).append(
            (r["version_number"], r["operation_name"]))
    paid = [p["operation_name"] for p in paid_operations]
    assert len(paid) == len(set(paid)), paid
    in_ledger = {r["operation_name"] for r in operations}
    assert in_ledger <= set(paid), in_ledger - set(paid)  # the ledger invents nothing

    per_clip = Counter((r["job_id"], r["clip_index"]) for r in operations)
    for target in targets:
        [(version, operation)] = saved.get(target, [(None, None)])  # exactly one new version
        assert version == 2 and operation in in_ledger, (target, saved.get(target))
        assert per_clip[target] <= 1 + counted.get(target, 0), (
            f"{target} paid {per_clip[target]} times, {counted.get(target, 0)} counted")
    unknown_to_ledger = set(paid) - in_ledger
    total_counted = sum(counted.get(t, 0) for t in targets)
    assert len(unknown_to_ledger) <= total_counted, (
        f"{len(unknown_to_ledger)} paid operations the ledger never learnt of, "
        f"{total_counted} possible duplicates counted")
    extra = len(paid) - len(targets)
    assert 0 <= extra <= total_counted, (len(paid), len(targets), total_counted)
    return PaidOnce(paid=len(paid), extra=extra, counted=total_counted)
