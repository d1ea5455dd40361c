"""A worker process running only the store step (bench_store.py measures its memory).

It builds VideoActivities as worker.py does, with the Veo backend pointed at a video
feed (tests/emulators/video_feed.py) and a static bearer token; the product's default
of 100 concurrent activities.

    .venv/bin/python benchmarks/store_worker.py ADDRESS QUEUE FEED_URL STORE_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import google.oauth2.credentials  # noqa: E402
from store_only_workflow import StoreOnlyWorkflow  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from activities.config import Settings  # noqa: E402
from activities.video.preview_backend import PreviewVideoBackend  # noqa: E402
from activities.video.store import LocalVideoStore  # noqa: E402
from activities.video.submission_ledger import SubmissionLedger  # noqa: E402
from activities.video.veo_backend import VertexVeoBackend  # noqa: E402
from activities.video.video_activities import VideoActivities  # noqa: E402


async def main(address: str, queue: str, feed_url: str, store_dir: str) -> None:
    settings = Settings(RETAKE_VIDEO_BACKEND="veo", google_cloud_project="bench",
                        google_api_key=None, veo_base_url=feed_url)
    backend = VertexVeoBackend.from_settings(
        settings, credentials=google.oauth2.credentials.Credentials(token="bench"))
    video = VideoActivities(backend, LocalVideoStore(Path(store_dir)), SubmissionLedger(None),
                            preview=PreviewVideoBackend(Path(store_dir) / "preview"),
                            ledger_retry_seconds=settings.ledger_retry_seconds)
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    async with Worker(client, task_queue=queue, workflows=[StoreOnlyWorkflow],
                      activities=[video.store_generated_video],
                      max_concurrent_activities=settings.max_concurrent_activities):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
