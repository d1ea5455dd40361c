"""The Veo emulator itself: driven over HTTP from another process, seeded random faults."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.emulators.veo_emulator import VeoEmulator

pytestmark = pytest.mark.emulator

MODEL = "veo-3.1-generate-001"
REQUEST = {"instances": [{"prompt": "x"}],
           "parameters": {"durationSeconds": 8, "generateAudio": True}}


def route(emulator: VeoEmulator, method: str) -> str:
    return (f"/v1/projects/{emulator.project}/locations/{emulator.location}/publishers/google/"
            f"models/{MODEL}:{method}")


async def test_http_control_configures_faults_and_counts(fresh_veo_emulator: VeoEmulator):
    auth = {"Authorization": f"Bearer {fresh_veo_emulator.access_token}"}
    submit, poll = route(fresh_veo_emulator, "predictLongRunning"), route(
        fresh_veo_emulator, "fetchPredictOperation")
    async with httpx.AsyncClient(base_url=fresh_veo_emulator.base_url) as http:
        config = await http.post("/_emulator/config", json={"job_seconds": 3600})
        assert config.json()["job_seconds"] == 3600 and "api_key" not in config.json()
        await http.post("/_emulator/faults", json=[{"status": 429, "retry_after": 3,
                                                    "target": "submit"}])
        limited = await http.post(submit, headers=auth, json=REQUEST)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"

        accepted = await http.post(submit, headers=auth, json=REQUEST)
        name = accepted.json()["name"]
        running = await http.post(poll, headers=auth, json={"operationName": name})
        assert running.json() == {"name": name, "done": False}

        counters = (await http.get("/_emulator/counters")).json()
        assert counters["submit_requests"] == 2 and counters["submissions_accepted"] == 1
        assert counters["faults_injected"] == 1 and counters["polls_per_operation"] == {name: 1}

        await http.post("/_emulator/reset")
        after = (await http.get("/_emulator/counters")).json()
        assert after["requests"] == 0 and after["polls_per_operation"] == {}
        again = await http.post(submit, headers=auth, json=REQUEST)
        done = await http.post(poll, headers=auth, json={"operationName": again.json()["name"]})
        assert done.json()["done"] is True  # reset restored job_seconds to the default 0


async def test_random_fault_rate_is_reproducible_for_a_seed(fresh_veo_emulator: VeoEmulator):
    auth = {"Authorization": f"Bearer {fresh_veo_emulator.access_token}"}
    submit = route(fresh_veo_emulator, "predictLongRunning")

    async def statuses() -> list[int]:
        fresh_veo_emulator.reset()
        fresh_veo_emulator.configure(fault_rate=0.5, fault_seed=11)
        async with httpx.AsyncClient(base_url=fresh_veo_emulator.base_url) as http:
            return [(await http.post(submit, headers=auth, json=REQUEST)).status_code
                    for _ in range(20)]

    first, second = await statuses(), await statuses()
    assert first == second
    assert 200 in first and set(first) - {200} <= {429, 500, 503} and len(set(first)) > 1


async def test_random_429s_carry_retry_info_not_retry_after(fresh_veo_emulator: VeoEmulator):
    fresh_veo_emulator.configure(fault_rate=1.0, fault_statuses=[429])
    auth = {"Authorization": f"Bearer {fresh_veo_emulator.access_token}"}
    async with httpx.AsyncClient(base_url=fresh_veo_emulator.base_url) as http:
        answer = await http.post(route(fresh_veo_emulator, "predictLongRunning"), headers=auth,
                                 json=REQUEST)
    assert answer.status_code == 429 and "retry-after" not in answer.headers
    assert answer.json()["error"]["details"][0]["@type"].endswith("google.rpc.RetryInfo")
