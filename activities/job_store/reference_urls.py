"""A clip's reference URLs: named for history on loading, read back in full to submit.

The job's metadata is where a signed URL lives; history, heartbeats and the submission
ledger carry only its name (activities/video/reference_names.py). `named_references`
turns a loaded context's URLs into names and drops what the worker's reference policy
refuses, with the reason for the plan. `full_reference_urls` is the way back: the
submit activity reads the clip's stored URLs again and picks each signed one by name.
"""

from __future__ import annotations

import asyncpg
from temporalio.exceptions import ApplicationError

from activities.job_store import queries as sql
from activities.video.reference_names import full_urls_by_name, is_signed_name, reference_name
from activities.video.reference_policy import ReferencePolicy
from workflows.step_models import ClipContext, ClipRef


def named_references(context: ClipContext, policy: ReferencePolicy) -> ClipContext:
    """The context with each reference by name, and the refused ones dropped with reasons."""
    dropped: list[str] = []

    def allowed(urls: list[str]) -> list[str]:
        kept = []
        for url in urls:
            why = policy.refusal(url)
            if why is None:
                kept.append(reference_name(url))
            elif why not in dropped:
                dropped.append(why)
        return kept

    return context.model_copy(update={
        "scene_reference_urls": allowed(context.scene_reference_urls),
        "character_reference_urls": allowed(context.character_reference_urls),
        "references_dropped": dropped,
    })


async def full_reference_urls(pool: asyncpg.Pool, ref: ClipRef,
                              names: list[str]) -> tuple[list[str], list[str]]:
    """The URLs to fetch for these names, and why any could not be found.

    A name without a signature is its own URL (and a full URL from a run recorded
    before names were used is kept as it is): only signed names are looked up.
    """
    if not any(is_signed_name(name) for name in names):
        return list(names), []
    from activities.job_store.job_store_activities import build_context

    row = await pool.fetchrow(sql.CLIP_CONTEXT, ref.job_id, ref.clip_index)
    try:
        context = build_context(ref, row)
        stored = full_urls_by_name([*context.scene_reference_urls,
                                    *context.character_reference_urls])
    except ApplicationError:
        stored = {}
    urls, missing = [], []
    for name in names:
        if not is_signed_name(name):
            urls.append(name)
        elif name in stored:
            urls.append(stored[name])
        else:
            missing.append(f"{name}: no longer in the job's metadata (its signed URL "
                           "changed since the plan was made)")
    return urls, missing
