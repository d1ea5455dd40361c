"""Private at rest: with RETAKE_ENCRYPTION_KEYS, nothing an end user said is readable in
Temporal without a key, and everything still works, replays and rotates keys."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re

import pytest
from google.protobuf.json_format import MessageToDict
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from retake.client import (
    cancel_batch,
    confirm,
    plan_batch,
    plan_regeneration,
    revert_clip,
    revise,
)
from retake.embedded import temporal_cli_path
from retake.encryption import (
    ENCODING,
    EncryptionCodec,
    EncryptionKeyError,
    keys_from_environment,
    parse_keys,
    with_encryption,
)
from retake.wiring import WORKFLOWS, RetakeActivities, build_worker
from tests.support.subprocess_env import scrubbed_env
from tests.support.temporal import retake_settings
from workflows.batch_models import RegenerateClipsInput
from workflows.models import ChatMessage, RegenerateClipInput, RegenerateOptions


def key(key_id: str, byte: int) -> str:
    return f"{key_id}:{base64.b64encode(bytes([byte]) * 32).decode()}"


OLD, NEW = key("k-2026-11", 1), key("k-2026-12", 2)
SECRETS = ["ultramarine-zebra", "heron-kite"]  # words only the end user typed


async def test_payloads_round_trip_with_a_fresh_nonce_and_the_key_id():
    codec = EncryptionCodec(parse_keys(f"{NEW},{OLD}"))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"x": "ultramarine-zebra"}')
    one, two = await codec.encode([plain, plain])
    assert one.metadata["encoding"] == ENCODING and one.metadata["encryption-key-id"] == b"k-2026-12"
    assert one.data != two.data and b"ultramarine" not in one.data  # a fresh nonce each time
    assert await codec.decode([one, two]) == [plain, plain]


async def test_a_payload_under_a_retired_key_still_decodes_after_rotation():
    before = EncryptionCodec(parse_keys(OLD))
    [sealed] = await before.encode([Payload(data=b"hello")])
    after = EncryptionCodec(parse_keys(f"{NEW},{OLD}"))  # new current key, old kept
    assert (await after.decode([sealed]))[0].data == b"hello"
    assert (await after.encode([Payload(data=b"x")]))[0].metadata["encryption-key-id"] == b"k-2026-12"
    with pytest.raises(EncryptionKeyError, match="k-2026-11"):  # dropped too early: said
        await EncryptionCodec(parse_keys(NEW)).decode([sealed])


@pytest.mark.parametrize("text,says", [
    ("k1", "key-id:base64"), ("k1:not base64!", "base64"),
    (f"k1:{base64.b64encode(b'short').decode()}", "exactly 32"),
    (f"{OLD},{OLD}", "listed twice"), (" , ", "lists no key"),
])
def test_a_wrong_key_is_refused_with_what_to_do_and_never_shown(text, says):
    with pytest.raises(EncryptionKeyError, match=says) as err:
        parse_keys(text)
    assert base64.b64encode(b"\x01" * 32).decode() not in str(err.value)


MATERIAL = base64.b64encode(bytes([1]) * 32).decode()
SHORT = base64.b64encode(b"sixteen bytes!!!").decode()  # key material of the wrong length


@pytest.mark.parametrize("text", [
    f"{MATERIAL}:k-2026-11",  # id and key the wrong way round
    f"{MATERIAL}:",  # the key where the id goes, nothing after it
    MATERIAL,  # no id at all
    f"k-2026-11={MATERIAL}",  # another separator
    f"k-2026-11:{MATERIAL}!",  # a stray character
    f"k-2026-11:{SHORT}",  # the wrong length
    f"{SHORT}:k-2026-11",  # the wrong length, the wrong way round
    f"{NEW},{MATERIAL}:k-2026-11",  # a good key, then a wrong one
], ids=["reversed", "key-as-id", "no-id", "equals", "stray-character", "short",
        "short-reversed", "second-reversed"])
def test_no_shape_of_a_wrong_key_shows_its_material(text, tmp_path):
    """Whatever stands where, a refused key's material is not in the error (issue 35: the
    worker prints it at start, into its logs), from the variable or from a file."""
    file = tmp_path / "keys"
    file.write_text(text + "\n")
    for env in ({"RETAKE_ENCRYPTION_KEYS": text}, {"RETAKE_ENCRYPTION_KEYS_FILE": str(file)}):
        with pytest.raises(EncryptionKeyError) as err:
            keys_from_environment(env)
        for material in (MATERIAL, SHORT, MATERIAL[:12], SHORT[:12]):
            assert material not in str(err.value), str(err.value)


def test_keys_come_from_the_environment_or_a_file(tmp_path):
    assert keys_from_environment({}) is None
    file = tmp_path / "keys"
    file.write_text(NEW + "\n")
    assert list(keys_from_environment({"RETAKE_ENCRYPTION_KEYS_FILE": str(file)})) == ["k-2026-12"]
    with pytest.raises(EncryptionKeyError, match="not both"):
        keys_from_environment({"RETAKE_ENCRYPTION_KEYS": NEW,
                               "RETAKE_ENCRYPTION_KEYS_FILE": str(file)})
    with pytest.raises(EncryptionKeyError, match="cannot be read"):
        keys_from_environment({"RETAKE_ENCRYPTION_KEYS_FILE": str(tmp_path / "missing")})


def readable_text(history_json: dict) -> str:
    """Every string in a history, with each base64 payload decoded as far as it goes."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)
            if re.fullmatch(r"[A-Za-z0-9+/=]{8,}", node):
                try:
                    found.append(base64.b64decode(node).decode("utf-8", "replace"))
                except ValueError:
                    pass

    walk(history_json)
    return "\n".join(found)


async def test_nothing_an_end_user_said_is_readable_without_the_key(
    temporal_client, db_pool, sample_job_id, task_queue, tmp_path
):
    target = temporal_client.service_client.config.target_host
    keys = parse_keys(f"{NEW},{OLD}")
    sealed = await Client.connect(
        target, namespace="default", data_converter=with_encryption(pydantic_data_converter, keys))
    settings = retake_settings(tmp_path)
    activities = RetakeActivities.from_settings(settings, db_pool)
    async with build_worker(sealed, settings, activities, task_queue=task_queue):
        handle, _ = await plan_regeneration(sealed, RegenerateClipInput(
            job_id=sample_job_id, clip_index=1,
            instruction=f"make the lamps {SECRETS[0]} blue",
            options=RegenerateOptions(confirm_first=True, poll_interval_seconds=0.2)),
            task_queue=task_queue)
        await revise(handle, f"and add a {SECRETS[1]} in the sky")
        await confirm(handle)
        result = await handle.result()
        regeneration_run = (await sealed.get_workflow_handle(handle.id).describe()).run_id
        batch, _ = await plan_batch(sealed, RegenerateClipsInput(
            job_id=sample_job_id, clips=[0, 2], instruction=f"paint it {SECRETS[0]} at dawn",
            conversation=[ChatMessage(role="user", content=f"I love {SECRETS[1]}s")]),
            task_queue=task_queue)
        await cancel_batch(batch)
        revert = await revert_clip(sealed, sample_job_id, 1, 1, task_queue=task_queue)
    assert result.status == "completed" and SECRETS[1] in result.prompt  # decoded with the key
    assert revert.version == 1

    plain = await Client.connect(target, namespace="default")  # no codec: what the server holds
    latest = (await plain.get_workflow_handle(handle.id).describe()).run_id  # the revert
    for wf_id, run in ((handle.id, regeneration_run), (handle.id, latest), (batch.id, None)):
        history = await plain.get_workflow_handle(wf_id, run_id=run).fetch_history()
        text = readable_text(MessageToDict(_proto(history)))
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} readable in the history of run {run}"
        replayed = await Replayer(
            workflows=WORKFLOWS, data_converter=with_encryption(pydantic_data_converter, keys)
        ).replay_workflow(history, raise_on_replay_failure=False)
        assert replayed.replay_failure is None
    shown = await asyncio.create_subprocess_exec(
        temporal_cli_path(), "workflow", "show", "--workflow-id", handle.id, "--output", "json",
        "--address", target, "--namespace", "default",
        env=scrubbed_env(HOME=str(tmp_path)), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(shown.communicate(), 60)
    assert out and all(s not in readable_text(json.loads(out)) for s in SECRETS)
    described = await plain.get_workflow_handle(handle.id).describe()
    system = {"BuildIds"}  # the server's own, like every Temporal* attribute
    custom = {k for k in described.raw_description.workflow_execution_info.search_attributes
              .indexed_fields if not k.startswith("Temporal") and k not in system}
    assert custom <= {"JobId", "ClipIndex"}
    raw = readable_text(MessageToDict(described.raw_description))  # summary, details, ...
    assert all(s not in raw for s in SECRETS)


def _proto(history):
    from temporalio.api.history.v1 import History

    return History(events=history.events)


def test_the_light_client_imports_no_crypto_unless_keys_are_set():
    assert "RETAKE_ENCRYPTION_KEYS" not in os.environ
    from retake.client import data_converter

    assert data_converter() is pydantic_data_converter


@pytest.fixture
def codec_server():
    """The codec server on a free loopback port, with a token, in a thread."""
    import threading

    from retake.codec_server import make_server

    server = make_server(EncryptionCodec(parse_keys(f"{NEW},{OLD}")), port=0,
                         ui_origin="http://localhost:8233", token="team-token")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _http(method: str, url: str, body: bytes | None = None, **headers):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


async def test_the_codec_server_answers_the_web_ui_and_only_its_origin(codec_server):
    ui = "http://localhost:8233"
    status, headers, _ = await asyncio.to_thread(
        _http, "OPTIONS", f"{codec_server}/decode", Origin=ui,
        **{"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type,x-namespace,authorization"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ui
    assert "X-Namespace" in headers["Access-Control-Allow-Headers"]
    status, headers, _ = await asyncio.to_thread(
        _http, "OPTIONS", f"{codec_server}/decode", Origin="https://evil.example")
    assert status == 403 and "Access-Control-Allow-Origin" not in headers

    [sealed] = await EncryptionCodec(parse_keys(OLD)).encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=b'"ultramarine-zebra"')])
    body = json.dumps(MessageToDict(__import__("temporalio.api.common.v1", fromlist=["Payloads"])
                                    .Payloads(payloads=[sealed]))).encode()
    status, _, _ = await asyncio.to_thread(
        _http, "POST", f"{codec_server}/decode", body, Origin=ui,
        **{"Content-Type": "application/json", "X-Namespace": "default"})
    assert status == 401  # no token
    status, headers, answer = await asyncio.to_thread(
        _http, "POST", f"{codec_server}/decode", body, Origin=ui,
        **{"Content-Type": "application/json", "X-Namespace": "default",
           "Authorization": "Bearer team-token"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ui
    [decoded] = json.loads(answer)["payloads"]
    assert base64.b64decode(decoded["data"]) == b'"ultramarine-zebra"'


def test_without_a_token_it_serves_loopback_only():
    from retake.codec_server import make_server

    with pytest.raises(EncryptionKeyError, match="without a token"):
        make_server(EncryptionCodec(parse_keys(NEW)), host="0.0.0.0", port=0)


async def test_the_cli_reads_the_decoded_plan_through_the_codec_server(
    codec_server, temporal_client, db_pool, sample_job_id, task_queue, tmp_path
):
    target = temporal_client.service_client.config.target_host
    sealed = await Client.connect(target, namespace="default", data_converter=with_encryption(
        pydantic_data_converter, parse_keys(f"{NEW},{OLD}")))
    settings = retake_settings(tmp_path)
    async with build_worker(sealed, settings, RetakeActivities.from_settings(settings, db_pool),
                            task_queue=task_queue):
        handle, proposal = await plan_regeneration(sealed, RegenerateClipInput(
            job_id=sample_job_id, clip_index=2, instruction=f"make it {SECRETS[0]} at dusk",
            options=RegenerateOptions(confirm_first=True)), task_queue=task_queue)

        async def show(*codec: str) -> str:
            proc = await asyncio.create_subprocess_exec(
                temporal_cli_path(), "workflow", "show", "--workflow-id", handle.id,
                "--output", "json", "--address", target, "--namespace", "default", *codec,
                env=scrubbed_env(HOME=str(tmp_path)), stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
            return readable_text(json.loads(out))

        assert SECRETS[0] not in await show()
        decoded = await show("--codec-endpoint", codec_server,
                             "--codec-auth", "Bearer team-token")
        await sealed.get_workflow_handle(handle.id).terminate("test over")
    assert SECRETS[0] in decoded and proposal.plan.prompt in decoded  # the plan, readable
