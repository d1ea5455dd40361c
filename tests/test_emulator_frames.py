"""The Veo emulator's first/last-frame rules (tests/emulators/README.md, rows `frames.*`),
driven through the real google-genai client: `source.image` and `config.last_frame` are
the SDK's own types, so what is checked is what the SDK puts on the wire."""

from __future__ import annotations

import base64

import google.auth.transport.requests
import httpx2 as httpx
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2 import service_account

from tests.emulators.media import tiny_image
from tests.emulators.veo_emulator import VeoEmulator

pytestmark = pytest.mark.emulator
GA, FAST = "veo-3.1-generate-001", "veo-3.1-fast-generate-001"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@pytest.fixture
def veo(fresh_veo_emulator: VeoEmulator) -> VeoEmulator:
    fresh_veo_emulator.configure(static_token=False)
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


def png() -> types.Image:
    return types.Image(image_bytes=tiny_image("PNG"), mime_type="image/png")


async def generate(client: genai.Client, *, model: str = GA, image=None, last_frame=None,
                   references=None, duration: int = 8):
    return await client.aio.models.generate_videos(
        model=model,
        source=types.GenerateVideosSource(prompt="a dancer on a pier", image=image),
        config=types.GenerateVideosConfig(duration_seconds=duration, generate_audio=True,
                                          last_frame=last_frame, reference_images=references))


async def refused(client: genai.Client, veo: VeoEmulator, **kwargs) -> list[str]:
    with pytest.raises(genai_errors.ClientError) as caught:
        await generate(client, **kwargs)
    assert caught.value.code == 400
    return veo.rejections()[-1]["rules"]


async def test_first_and_last_frame_at_8s_on_the_ga_model_are_accepted_as_sent(veo, client):
    await generate(client, image=png(), last_frame=png())
    instance = veo.submissions()[-1]["instances"][0]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == tiny_image("PNG")
    assert instance["lastFrame"]["mimeType"] == "image/png"


async def test_a_first_frame_alone_takes_any_length(veo, client):
    await generate(client, image=png(), duration=4)


async def test_last_frame_needs_a_first_frame(veo, client, credentials):
    credentials.refresh(google.auth.transport.requests.Request())
    body = {"instances": [{"prompt": "p", "lastFrame": {
        "bytesBase64Encoded": base64.b64encode(tiny_image("PNG")).decode(),
        "mimeType": "image/png"}}], "parameters": {"durationSeconds": 8, "generateAudio": True}}
    path = (f"/v1/projects/{veo.project}/locations/{veo.location}/publishers/google/models/"
            f"{GA}:predictLongRunning")
    async with httpx.AsyncClient(base_url=veo.base_url) as http:
        answer = await http.post(path, json=body,
                                 headers={"Authorization": f"Bearer {credentials.token}"})
    assert answer.status_code == 400
    assert "frames.last_needs_first" in veo.rejections()[-1]["rules"]


async def test_frames_never_go_with_reference_images(veo, client):
    ref = types.VideoGenerationReferenceImage(image=png(), reference_type="asset")
    assert "references.exclusive" in await refused(client, veo, image=png(), references=[ref])


async def test_last_frame_only_at_8_seconds(veo, client):
    assert "frames.duration" in await refused(client, veo, image=png(), last_frame=png(),
                                              duration=6)


async def test_the_fast_model_takes_no_frames(veo, client):
    assert "frames.model" in await refused(client, veo, model=FAST, image=png(), duration=4)


async def test_frames_must_be_png_or_jpeg(veo, client):
    webp = types.Image(image_bytes=tiny_image("WEBP"), mime_type="image/webp")
    assert "image.mime_type" in await refused(client, veo, image=webp)


async def test_frames_above_20_mb_are_refused(veo, client):
    big = types.Image(image_bytes=b"\x89PNG" + bytes(20 * 1024 * 1024), mime_type="image/png")
    assert "frames.size" in await refused(client, veo, image=big)
