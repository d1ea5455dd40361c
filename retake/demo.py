"""`starter.py demo`: the main job on the embedded default, with no settings at all.

Embedded Postgres with the sample job, the Temporal dev server with its Web UI
(state in .data/temporal.db), an in-process worker, the offline planner and the
preview video backend unless keys say otherwise. Regenerates one clip end to end;
with `--confirm`, in two steps: it prints the plan and its cost, then confirms it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from uuid import UUID

from activities.config import Settings
from activities.job_store.sample_data import load_sample_job
from activities.postgres.embedded import resolve_database_url, stop_embedded
from activities.postgres.pool import create_pool
from retake.client import (
    confirm,
    connect,
    plan_regeneration,
    start_regeneration,
    workflow_id_for,
)
from retake.console import follow, render, render_proposal
from retake.embedded import port_is_open, start_dev_server
from retake.wiring import RetakeActivities, build_worker, describe_backends
from workflows.models import RegenerateClipInput, RegenerateOptions

UI_PORT = 8233
SERVER_PORT = 7233


def start_local_codec_server(port: int = 8081) -> str | None:
    """With RETAKE_ENCRYPTION_KEYS set, a codec server on loopback for the dev server's UI."""
    if not (os.environ.get("RETAKE_ENCRYPTION_KEYS") or os.environ.get("RETAKE_ENCRYPTION_KEYS_FILE")):
        return None
    import threading

    from retake.codec_server import make_server
    from retake.encryption import EncryptionCodec, keys_from_environment

    server = make_server(EncryptionCodec(keys_from_environment()), port=port,
                         ui_origin=f"http://localhost:{os.environ.get('RETAKE_UI_PORT', '8233')}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


async def run_demo(
    clip_index: int,
    instruction: str,
    *,
    keep_running: bool,
    poll_interval: float,
    port: int = SERVER_PORT,
    ui_port: int = UI_PORT,
    confirm_first: bool = False,
) -> int:
    # SIGTERM cancels the demo like Ctrl-C does, so the finally below always runs:
    # nothing it started (dev server, embedded Postgres) outlives it.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    out = sys.stdout
    out.reconfigure(line_buffering=True)  # each line shows at once, piped or not
    print(f"Retake demo: {describe_backends(settings)}", file=out)

    pool = await create_pool(await resolve_database_url(settings), migrate=settings.migrates_itself)
    job_id: UUID = await load_sample_job(pool)
    print(f"database: {'DATABASE_URL' if not settings.uses_embedded_postgres else 'embedded Postgres in ' + str(settings.data_dir / 'postgres')}; sample job {job_id} loaded", file=out)

    env = None
    if os.environ.get("TEMPORAL_ADDRESS") or port_is_open("127.0.0.1", port):
        client = await connect(None if os.environ.get("TEMPORAL_ADDRESS") else f"localhost:{port}")
        ui = "your Temporal Web UI"
    else:
        codec = start_local_codec_server()  # encryption on: the Web UI decodes through it
        env = await start_dev_server(
            port=port, ui_port=ui_port, state_file=settings.data_dir / "temporal.db",
            ui_codec_endpoint=codec,
        )
        client = await connect(f"localhost:{port}")  # encrypts when keys are set
        ui = f"http://localhost:{ui_port}" + (f" (decoded through {codec})" if codec else "")
    print(f"temporal: {'embedded dev server, Web UI ' + ui if env else client.service_client.config.target_host}", file=out)

    worker = build_worker(client, settings, RetakeActivities.from_settings(settings, pool))
    inp = RegenerateClipInput(
        job_id=job_id,
        clip_index=clip_index,
        instruction=instruction,
        options=RegenerateOptions(poll_interval_seconds=poll_interval),
    )
    try:
        async with worker:
            if confirm_first:  # the two-step flow: show the plan and its cost, then pay
                handle, proposal = await plan_regeneration(client, inp, task_queue=settings.task_queue)
                print(f'planned clip {clip_index}: "{instruction}" (nothing paid yet)', file=out)
                print(render_proposal(proposal), file=out)
                await confirm(handle, revision=proposal.revision)
                print(f"confirmed revision {proposal.revision}: generating", file=out)
            else:
                handle = await start_regeneration(client, inp, task_queue=settings.task_queue)
                print(f'regenerating clip {clip_index}: "{instruction}"', file=out)
            result = await follow(handle)
            print(render(result), file=out)
            if result.video_url and result.video_url.startswith("file://"):
                print(f"stored video: {Path(result.video_url[len('file://'):])}", file=out)
            wid = workflow_id_for(job_id, clip_index)
            if env:
                print(f"Web UI: {ui}/namespaces/default/workflows/{wid}", file=out)
            else:
                print(f"workflow id: {wid}", file=out)
            if keep_running and env:
                print("Server and worker keep running for the Web UI; Ctrl-C stops them.", file=out)
                await asyncio.Event().wait()
    finally:
        if env:
            await env.shutdown()
        await pool.close()
        stop_embedded()
    return 0
