"""The emulators as contracts of the real services (tests/emulators/README.md lists each rule).

Every test here checks only the harness: the Veo emulator through the real google-genai
client with credentials from google-auth's real service-account exchange (or plain HTTP
where a body must be exact), and the OpenAI emulator through the real `openai` client.
"""

from __future__ import annotations

import base64
import email.utils
import json
import math
import os
import time

import google.auth
import google.auth.transport.requests
import httpx2 as httpx
import openai
import pytest
from google import genai
from google.auth import exceptions as auth_exceptions
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2 import _client as oauth_client
from google.oauth2 import service_account

from tests.emulators.media import probe, tiny_image
from tests.emulators.openai_emulator import EmulatorControl
from tests.emulators.veo_emulator import VeoEmulator

pytestmark = pytest.mark.emulator

GA = "veo-3.1-generate-001"
FAST = "veo-3.1-fast-generate-001"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
PNG = base64.b64encode(tiny_image("PNG")).decode()


# -- helpers ------------------------------------------------------------------------------
@pytest.fixture
def veo(fresh_veo_emulator: VeoEmulator) -> VeoEmulator:
    fresh_veo_emulator.configure(static_token=False)  # only real OAuth tokens count here
    return fresh_veo_emulator


@pytest.fixture
def credentials(veo: VeoEmulator, tmp_path) -> service_account.Credentials:
    key = veo.write_service_account_key(tmp_path / "sa.json")
    return service_account.Credentials.from_service_account_file(str(key), scopes=[SCOPE])


@pytest.fixture
def client(veo: VeoEmulator, credentials) -> genai.Client:
    return genai.Client(vertexai=True, project=veo.project, location=veo.location,
                        credentials=credentials,
                        http_options=types.HttpOptions(base_url=veo.base_url))


@pytest.fixture
def bearer(credentials) -> dict[str, str]:
    credentials.refresh(google.auth.transport.requests.Request())  # the real JWT-bearer grant
    return {"Authorization": f"Bearer {credentials.token}"}


def path(veo: VeoEmulator, model: str = GA, method: str = "predictLongRunning") -> str:
    return (f"/v1/projects/{veo.project}/locations/{veo.location}/publishers/google/models/"
            f"{model}:{method}")


def body(prompt: str | None = "a lighthouse at dusk", refs: int = 0, mime: str = "image/png",
         ref_type: str = "asset", **params) -> dict:
    instance: dict = {"prompt": prompt} if prompt is not None else {}
    if refs:
        instance["referenceImages"] = [
            {"image": {"bytesBase64Encoded": PNG, "mimeType": mime}, "referenceType": ref_type}
            for _ in range(refs)]
    parameters = {"durationSeconds": 8, "generateAudio": True, "sampleCount": 1, **params}
    return {"instances": [instance], "parameters": {k: v for k, v in parameters.items()
                                                    if v is not None}}


async def generate(client: genai.Client, model: str = GA, **config) -> types.GenerateVideosOperation:
    config.setdefault("duration_seconds", 8)
    config.setdefault("generate_audio", True)
    return await client.aio.models.generate_videos(
        model=model, source=types.GenerateVideosSource(prompt="a lighthouse at dusk"),
        config=types.GenerateVideosConfig(**config))


# -- models, credentials and the happy path ---------------------------------------------
async def test_ga_model_through_real_google_auth_returns_mp4_with_audio_of_the_asked_length(
    veo: VeoEmulator, client: genai.Client
):
    op = await generate(client, duration_seconds=4, seed=4_294_967_295)
    done = await client.aio.operations.get(op)
    video = done.response.generated_videos[0].video.video_bytes
    facts = probe(video)
    assert facts["video"] and facts["audio"] and abs(facts["duration"] - 4) <= 1 / 8
    counters = veo.counters()
    assert counters["tokens_issued"] == 1 and counters["static_token_uses"] == 0
    [paid] = veo.paid_submissions()
    assert paid["operation_name"] == op.name and paid["model"] == GA
    assert (paid["seed"], paid["duration_seconds"], paid["reference_images"]) == (4_294_967_295, 4, 0)


async def test_adc_environment_variables_drive_the_real_client(
    veo: VeoEmulator, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    key = veo.write_service_account_key(tmp_path / "adc.json")
    for name, value in veo.adc_env(key).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    # Credentials come from ADC (google.auth.default reads GOOGLE_APPLICATION_CREDENTIALS).
    # With a custom base_url, google-genai 3.6 only builds project paths when project and
    # location are passed explicitly (_api_client.py: otherwise "API gateway" mode, below).
    client = genai.Client(vertexai=True, project=os.environ["GOOGLE_CLOUD_PROJECT"],
                          location=os.environ["GOOGLE_CLOUD_LOCATION"],
                          http_options=types.HttpOptions(base_url=veo.base_url))
    op = await generate(client, duration_seconds=6, aspect_ratio="9:16", generate_audio=False)
    done = await client.aio.operations.get(op)
    facts = probe(done.response.generated_videos[0].video.video_bytes)
    assert abs(facts["duration"] - 6) <= 1 / 8 and not facts["audio"]
    assert veo.counters()["tokens_issued"] == 1

    gateway = genai.Client(vertexai=True, http_options=types.HttpOptions(base_url=veo.base_url))
    with pytest.raises(genai_errors.ClientError) as caught:  # env-only project + base_url
        await generate(gateway)
    assert caught.value.code == 404 and veo.rejections()[-1]["rule"] == "route"


@pytest.mark.parametrize("model", ["veo-3.1-generate-preview", "veo-3.1-fast-generate-preview",
                                   "veo-3.0-generate-001", "veo-2.0-generate-001", "veo-9"])
async def test_retired_and_unknown_models_are_not_found(veo, client, model):
    with pytest.raises(genai_errors.ClientError) as caught:
        await generate(client, model=model)
    error = caught.value.details["error"]
    assert (caught.value.code, error["status"]) == (404, "NOT_FOUND")
    assert model in error["message"] and isinstance(error["details"], list)
    assert veo.counters()["submissions_accepted"] == 0
    assert veo.rejections()[0]["rule"] == "model.served"


async def test_fast_model_is_served(veo, client):
    op = await generate(client, model=FAST, duration_seconds=4)
    assert FAST in op.name


# -- 400 INVALID_ARGUMENT rules ----------------------------------------------------------
RULES = [
    ("references.duration", dict(refs=1, durationSeconds=4)),
    ("references.duration", dict(refs=3, durationSeconds=6)),
    ("references.count", dict(refs=4)),
    ("image.mime_type", dict(refs=1, mime="image/webp")),
    ("image.mime_type", dict(refs=1, mime="image/gif")),
    ("references.type", dict(refs=1, ref_type="style")),
    ("enhance_prompt.veo3", dict(enhancePrompt=False)),
    ("references.aspect_ratio", dict(refs=1, aspectRatio="9:16")),
    ("references.prompt", dict(refs=1, prompt=None)),
    ("seed.range", dict(seed=-1)),
    ("seed.range", dict(seed=4_294_967_296)),
    ("sample_count.range", dict(sampleCount=0)),
    ("sample_count.range", dict(sampleCount=5)),
    ("aspect_ratio.allowed", dict(aspectRatio="1:1")),
    ("duration.allowed", dict(durationSeconds=5)),
    ("duration.required", dict(durationSeconds=None)),
    ("resolution.allowed", dict(resolution="4k")),
    ("generate_audio.required", dict(generateAudio=None)),
    ("storage_uri.gcs", dict(storageUri="https://storage.googleapis.com/b/o")),
    ("prompt.required", dict(prompt=None)),
]


@pytest.mark.parametrize(("rule", "shape"), RULES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(RULES)])
async def test_documented_rules_answer_invalid_argument(veo, bearer, rule, shape):
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path(veo), headers=bearer, json=body(**shape))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert rule in veo.rejections()[-1]["rules"]
    assert veo.counters()["submissions_accepted"] == 0


async def test_references_on_the_fast_model_are_refused(veo, bearer):
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path(veo, FAST), headers=bearer, json=body(refs=1))
    assert answer.status_code == 400 and veo.rejections()[-1]["rule"] == "references.model"


async def test_three_png_or_jpeg_references_at_8s_are_accepted(veo, bearer):
    payload = body(refs=2)
    payload["instances"][0]["referenceImages"].append({"referenceType": "asset", "image": {
        "bytesBase64Encoded": base64.b64encode(tiny_image("JPEG")).decode(),
        "mimeType": "image/jpeg"}})
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path(veo), headers=bearer, json=payload)
    assert answer.status_code == 200
    assert veo.paid_submissions()[0]["reference_images"] == 3


async def test_real_client_reference_at_4s_gets_400(veo, client):
    ref = types.VideoGenerationReferenceImage(
        image=types.Image(image_bytes=tiny_image("PNG"), mime_type="image/png"),
        reference_type="asset")
    with pytest.raises(genai_errors.ClientError) as caught:
        await generate(client, duration_seconds=4, reference_images=[ref])
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")


async def test_relaxed_rules_are_skipped_on_request(veo, bearer):
    veo.configure(relaxed_rules=["references.duration"])
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path(veo), headers=bearer, json=body(refs=1, durationSeconds=4))
    assert answer.status_code == 200


# -- authentication ----------------------------------------------------------------------
async def test_project_mode_needs_a_token_the_emulator_issued(veo, bearer):
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        missing = await http.post(path(veo), json=body())
        unknown = await http.post(path(veo), json=body(),
                                  headers={"Authorization": "Bearer ya29.made-up"})
        static = await http.post(path(veo), json=body(),
                                 headers={"Authorization": f"Bearer {veo.access_token}"})
        key_only = await http.post(path(veo), json=body(), headers={"x-goog-api-key": veo.api_key})
        veo.expire_tokens()
        expired = await http.post(path(veo), json=body(), headers=bearer)
    for answer in (missing, unknown, static, key_only, expired):
        assert answer.status_code == 401
        assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    reasons = [a.json()["error"]["details"][0]["reason"] for a in (missing, unknown, expired)]
    assert reasons == ["CREDENTIALS_MISSING", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "ACCESS_TOKEN_EXPIRED"]
    assert veo.counters()["auth_failures"] == 5 and veo.counters()["submissions_accepted"] == 0


async def test_static_token_still_works_for_old_tests_unless_refused(fresh_veo_emulator):
    veo = fresh_veo_emulator
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path(veo), json=body(),
                                 headers={"Authorization": f"Bearer {veo.access_token}"})
    assert answer.status_code == 200 and veo.counters()["static_token_uses"] == 1


async def test_token_endpoint_verifies_the_jwt(veo, credentials, tmp_path):
    other = service_account.Credentials.from_service_account_info(
        {**json.loads((tmp_path / "sa.json").read_text()),
         "client_email": "stranger@elsewhere.iam.gserviceaccount.com"}, scopes=[SCOPE])
    with pytest.raises(auth_exceptions.RefreshError) as unknown:
        other.refresh(google.auth.transport.requests.Request())
    assert "account not found" in str(unknown.value) and unknown.value.retryable is False
    unscoped = service_account.Credentials.from_service_account_file(str(tmp_path / "sa.json"))
    with pytest.raises(auth_exceptions.RefreshError, match="invalid_scope"):
        unscoped.refresh(google.auth.transport.requests.Request())
    assertion = credentials._make_authorization_grant_assertion()
    head, claims, _ = (assertion.decode() if isinstance(assertion, bytes) else assertion).split(".")
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        forged = await http.post("/token", data={
            "grant_type": oauth_client._JWT_GRANT_TYPE, "assertion": f"{head}.{claims}.AAAA"})
        wrong_grant = await http.post("/token", data={"grant_type": "password"})
    assert forged.status_code == 400 and forged.json() == {
        "error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    assert veo.counters()["tokens_issued"] == 0


async def test_token_endpoint_faults_are_what_google_auth_calls_retryable(veo):
    veo.push_token_fault(503, "temporarily_unavailable")
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post("/token", data={"grant_type": oauth_client._JWT_GRANT_TYPE})
    assert answer.status_code == 503
    assert oauth_client._can_retry(answer.status_code, answer.json()) is True
    assert oauth_client._can_retry(400, {"error": "invalid_grant"}) is False


async def test_express_mode_does_not_serve_veo_and_bad_keys_are_invalid_argument(veo):
    express = f"/v1/publishers/google/models/{GA}:predictLongRunning"
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        blocked = await http.post(express, json=body(), headers={"x-goog-api-key": veo.api_key})
        bad = await http.post(express, json=body(), headers={"x-goog-api-key": "AIzaNope"})
        veo.configure(express_mode=True)
        allowed = await http.post(express, json=body(), headers={"x-goog-api-key": veo.api_key})
    assert blocked.status_code == 403
    assert blocked.json()["error"]["details"][0]["reason"] == "API_KEY_SERVICE_BLOCKED"
    assert bad.status_code == 400 and "AIzaNope" not in bad.text
    error = bad.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["details"][0]["reason"] == "API_KEY_INVALID"
    assert allowed.status_code == 200


async def test_real_client_with_a_bad_api_key_gets_400_api_key_invalid(veo):
    client = genai.Client(vertexai=True, api_key="AIzaNope",
                          http_options=types.HttpOptions(base_url=veo.base_url))
    with pytest.raises(genai_errors.ClientError) as caught:
        await generate(client)
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


# -- quota, faults and operation errors --------------------------------------------------
async def test_per_minute_quota_answers_429_with_retry_info_and_no_retry_after(veo, bearer):
    veo.configure(quota_per_minute=2)
    now = [1000.0]
    veo.state.quota.clock = lambda: now[0]
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        first = [await http.post(path(veo), headers=bearer, json=body()) for _ in range(3)]
        now[0] += 30
        still = await http.post(path(veo), headers=bearer, json=body())
        now[0] += 31  # the first two leave the 60 s window
        again = await http.post(path(veo), headers=bearer, json=body())
    assert [a.status_code for a in first] == [200, 200, 429] and still.status_code == 429
    assert again.status_code == 200
    limited = first[2]
    assert "retry-after" not in limited.headers
    error = limited.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    retry = [d for d in error["details"] if d["@type"].endswith("google.rpc.RetryInfo")]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "60s"}]
    assert still.json()["error"]["details"][-1]["retryDelay"] == "30s"
    counters = veo.counters()
    assert (counters["quota_rejections"], counters["submissions_accepted"]) == (2, 3)


async def test_quota_429_through_the_real_client(veo, client):
    veo.configure(quota_per_minute=1)
    await generate(client)
    with pytest.raises(genai_errors.ClientError) as caught:
        await generate(client)
    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")
    assert "google.rpc.RetryInfo" in json.dumps(caught.value.details)


@pytest.mark.parametrize(("code", "message"), [(13, "Internal error encountered."),
                                               (14, "The service is currently unavailable."),
                                               (3, None), (9, None)])
async def test_operation_errors_finish_the_operation_with_a_status(veo, client, code, message):
    veo.fail_operations(1, code)
    op = await client.aio.operations.get(await generate(client))
    assert op.done and op.error["code"] == code
    if message:
        assert op.error["message"] == message
    assert veo.counters()["operations_failed"] == 1
    assert veo.paid_submissions()[0]["outcome"] == "failed"  # failed operations were accepted


async def test_scripted_fault_can_carry_retry_info_instead_of_a_header(veo, bearer):
    veo.push_fault(status=503, retry_delay=2.5, target="submit", message="Service unavailable")
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path(veo), headers=bearer, json=body())
    assert answer.status_code == 503 and "retry-after" not in answer.headers
    assert answer.json()["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"}]


async def test_http_control_for_operation_errors_paid_and_rejections(veo, bearer):
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        await http.post("/_emulator/operation_errors", json={"code": 14, "count": 1})
        ok = await http.post(path(veo), headers=bearer, json=body())
        await http.post(path(veo), headers=bearer, json=body(seed=-5))
        polled = await http.post(path(veo, method="fetchPredictOperation"), headers=bearer,
                                 json={"operationName": ok.json()["name"]})
        paid = (await http.get("/_emulator/paid")).json()
        rejected = (await http.get("/_emulator/rejections")).json()
        key = (await http.post("/_emulator/service_account", json={})).json()
    assert polled.json()["error"]["code"] == 14
    assert [p["operation_name"] for p in paid] == [ok.json()["name"]]
    assert [r["rule"] for r in rejected] == ["seed.range"]
    assert key["type"] == "service_account" and key["token_uri"].endswith("/token")


# -- OpenAI --------------------------------------------------------------------------------
@pytest.fixture
def oai(openai_emulator_clean: EmulatorControl) -> EmulatorControl:
    return openai_emulator_clean


def chat(control: EmulatorControl, key: str | None = None):
    client = openai.AsyncOpenAI(api_key=key or control.api_key, base_url=control.base_url,
                                max_retries=0)
    return client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Original prompt:\nA cat.\n\n"
                                   "Instruction:\nmake it night"}])


async def test_openai_insufficient_quota_has_no_retry_hint(oai):
    oai.push_error("insufficient_quota")
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(oai)
    assert caught.value.code == "insufficient_quota"
    assert caught.value.body["type"] == "insufficient_quota"
    headers = caught.value.response.headers
    assert "retry-after" not in headers and "retry-after-ms" not in headers


async def test_openai_rate_limit_carries_retry_after_and_retry_after_ms(oai):
    oai.push_error("rate_limit_exceeded", retry_after=2, retry_after_ms=1500)
    oai.push_error("rate_limit_exceeded", retry_after=30, retry_after_date=True)
    with pytest.raises(openai.RateLimitError) as first:
        await chat(oai)
    with pytest.raises(openai.RateLimitError) as second:
        await chat(oai)
    assert first.value.code == "rate_limit_exceeded" and first.value.body["type"] == "requests"
    assert first.value.response.headers["retry-after"] == "2"
    assert first.value.response.headers["retry-after-ms"] == "1500"
    when = email.utils.parsedate_to_datetime(second.value.response.headers["retry-after"])
    assert 20 < when.timestamp() - time.time() <= 31
    assert oai.counters()["outcomes"] == {"rate_limit_exceeded": 2}


async def test_openai_plain_429_is_shaped_as_a_rate_limit(oai):
    oai.push_fault(status=429, retry_after=7)
    with pytest.raises(openai.RateLimitError) as caught:
        await chat(oai)
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "7"


async def test_openai_model_not_found_and_invalid_key(oai):
    oai.retire_models("gpt-4o")
    with pytest.raises(openai.NotFoundError) as missing:
        await chat(oai)
    assert missing.value.code == "model_not_found" and "gpt-4o" in missing.value.message
    oai.reset()
    oai.push_error("model_not_found")
    with pytest.raises(openai.NotFoundError):
        await chat(oai)
    with pytest.raises(openai.AuthenticationError) as wrong:
        await chat(oai, key="sk-wrong-key-000")
    assert wrong.value.code == "invalid_api_key" and wrong.value.body["param"] is None


async def test_openai_unusable_replies(oai):
    for kind in ("length", "refusal", "unparseable", "nan_temperature", "nan_string_temperature"):
        oai.push_fault(reply=kind)
    length, refusal, unparseable, nan, nan_text = [await chat(oai) for _ in range(5)]
    assert length.choices[0].finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(length.choices[0].message.content)
    assert refusal.choices[0].message.refusal and refusal.choices[0].message.content is None
    with pytest.raises(json.JSONDecodeError):
        json.loads(unparseable.choices[0].message.content)
    assert '"temperature": NaN' in nan.choices[0].message.content
    assert math.isnan(json.loads(nan.choices[0].message.content)["temperature"])
    assert json.loads(nan_text.choices[0].message.content)["temperature"] == "NaN"
