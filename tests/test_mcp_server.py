"""The MCP server as an LLM host uses it: `starter.py mcp` as a subprocess, an MCP client
session over stdio (and streamable HTTP), the dev server, a real worker and the Veo
emulator counting paid submissions at the wire."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import jsonschema
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from retake import tools
from tests.support.subprocess_env import scrubbed_env
from tests.support.temporal import retake_settings

ROOT = Path(__file__).resolve().parent.parent


def server_env(temporal_client, task_queue: str) -> dict[str, str]:
    return scrubbed_env(
        TEMPORAL_ADDRESS=temporal_client.service_client.config.target_host,
        RETAKE_TASK_QUEUE=task_queue,
    )


async def call(session: Client, name: str, **arguments) -> dict:
    result = await session.call_tool(name, json.loads(json.dumps(arguments, default=str)))
    body = json.loads(result.content[0].text)
    assert result.structured_content == body
    assert not result.is_error, body
    return body


async def test_a_conversation_over_stdio_pays_once_and_only_after_confirm(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo_emulator
):
    veo = veo_emulator
    veo.reset()
    # Done at the first status check: MCP runs use the default 15 s between checks, and a
    # job still running at the first would hold the test 15 s for nothing it asserts.
    veo.configure(job_seconds=0.0)
    server = StdioServerParameters(command=sys.executable, args=["starter.py", "mcp"], cwd=ROOT,
                                   env=server_env(temporal_client, task_queue))
    job = str(sample_job_id)
    async with run_worker(retake_settings(tmp_path, veo=veo)), Client(server) as session:
        listed = {t.name: t for t in (await session.list_tools()).tools}
        assert set(listed) == {t.name for t in tools.TOOLS}
        assert listed["plan"].input_schema == tools.BY_NAME["plan"].input_schema()

        plan = await call(session, "plan", job_id=job, clip_index=2, instruction="make it nighttime")
        assert plan["revision"] == 1 and plan["state"] == "awaiting_confirmation"
        assert plan["plan"]["template_id"] == "nighttime" and plan["plan"]["cost_estimate_usd"]
        revised = await call(session, "revise", job_id=job, clip_index=2,
                             instruction="make it darker")
        assert revised["revision"] == 2 and revised["plan"]["template_id"] == "darker"
        status = await call(session, "status", job_id=job, clip_index=2)
        assert status["status"] == "running" and status["proposal"]["revision"] == 2
        assert veo.counters()["submit_requests"] == 0  # nothing paid before confirm

        stale = await session.call_tool("confirm", {"job_id": job, "clip_index": 2, "revision": 1})
        assert stale.is_error and stale.structured_content["error_type"] == "UpdateNotAllowed"
        bad = await session.call_tool("confirm", {"job_id": "not-a-uuid", "clip_index": 2,
                                                  "revision": 2})
        assert bad.is_error and bad.structured_content["error_type"] == "InvalidInput"
        assert veo.counters()["submit_requests"] == 0

        confirmed = await call(session, "confirm", job_id=job, clip_index=2, revision=2)
        assert confirmed["state"] == "confirmed"
        for _ in range(600):
            status = await call(session, "status", job_id=job, clip_index=2)
            if status["status"] != "running":
                break
            await asyncio.sleep(0.1)
        assert status["status"] == "completed", status
        assert status["result"]["version"] == 2
        assert status["result"]["prompt"] == revised["plan"]["prompt"]
        ended = await session.call_tool("confirm", {"job_id": job, "clip_index": 2,
                                                    "revision": 2})
        assert ended.is_error and ended.structured_content["error_type"] == "AlreadyCompleted"

        found = await call(session, "versions", job_id=job, clip_index=2)
        assert [(v["number"], v["current"]) for v in found["versions"]] == [(1, False), (2, True)]
        reverted = await call(session, "revert", job_id=job, clip_index=2, version=1)
        assert reverted["version"] == 1 and reverted["previous_version"] == 2
        found = await call(session, "versions", job_id=job, clip_index=2)
        assert [v["current"] for v in found["versions"]] == [True, False]
        assert [r["to_version"] for r in found["reverts"]] == [1]

    assert veo.counters()["submissions_accepted"] == 1  # paid once, for revision 2
    assert veo.submissions()[0]["instances"][0]["prompt"] == revised["plan"]["prompt"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streamable_http_serves_the_same_tools_on_127_0_0_1(temporal_client, task_queue):
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "starter.py", "mcp", "--http", "--port", str(port), cwd=ROOT,
        env=server_env(temporal_client, task_queue),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp") as session:
            names = [t.name for t in (await session.list_tools()).tools]
            assert names == [t.name for t in tools.TOOLS]
            none = await call(session, "status", job_id="550e8400-e29b-41d4-a716-446655440000",
                              clip_index=7)
            assert none["status"] == "none"
    finally:
        proc.terminate()
        await proc.wait()


def test_openai_tools_are_the_same_tools_with_valid_schemas():
    published = tools.openai_tools()
    assert [t["function"]["name"] for t in published] == [t.name for t in tools.TOOLS]
    for entry in published:
        schema = entry["function"]["parameters"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "$ref" not in json.dumps(schema) and schema["type"] == "object"
        assert len(entry["function"]["description"]) > 40
