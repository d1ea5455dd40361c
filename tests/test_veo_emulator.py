"""The Veo emulator itself: driven over HTTP from another process, seeded random faults."""

from __future__ import annotations

import httpx2 as httpx

from tests.emulators.veo_emulator import VeoEmulator

SUBMIT = "/v1/publishers/google/models/veo-3.1-generate-preview:predictLongRunning"
POLL = "/v1/publishers/google/models/veo-3.1-generate-preview:fetchPredictOperation"


async def test_http_control_configures_faults_and_counts(fresh_veo_emulator: VeoEmulator):
    key = {"x-goog-api-key": fresh_veo_emulator.api_key}
    async with httpx.AsyncClient(base_url=fresh_veo_emulator.base_url) as http:
        config = await http.post("/_emulator/config", json={"job_seconds": 3600})
        assert config.json()["job_seconds"] == 3600 and "api_key" not in config.json()
        await http.post("/_emulator/faults", json=[{"status": 429, "retry_after": 3,
                                                    "target": "submit"}])
        limited = await http.post(SUBMIT, headers=key, json={"instances": [{"prompt": "x"}]})
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"

        accepted = await http.post(SUBMIT, headers=key, json={"instances": [{"prompt": "x"}]})
        name = accepted.json()["name"]
        running = await http.post(POLL, headers=key, json={"operationName": name})
        assert running.json() == {"name": name, "done": False}

        counters = (await http.get("/_emulator/counters")).json()
        assert counters["submit_requests"] == 2 and counters["submissions_accepted"] == 1
        assert counters["faults_injected"] == 1 and counters["polls_per_operation"] == {name: 1}

        await http.post("/_emulator/reset")
        after = (await http.get("/_emulator/counters")).json()
        assert after["requests"] == 0 and after["polls_per_operation"] == {}
        again = await http.post(SUBMIT, headers=key, json={"instances": [{"prompt": "x"}]})
        done = await http.post(POLL, headers=key, json={"operationName": again.json()["name"]})
        assert done.json()["done"] is True  # reset restored job_seconds to the default 0


async def test_random_fault_rate_is_reproducible_for_a_seed(fresh_veo_emulator: VeoEmulator):
    key = {"x-goog-api-key": fresh_veo_emulator.api_key}

    async def statuses() -> list[int]:
        fresh_veo_emulator.reset()
        fresh_veo_emulator.configure(fault_rate=0.5, fault_seed=11)
        async with httpx.AsyncClient(base_url=fresh_veo_emulator.base_url) as http:
            return [(await http.post(SUBMIT, headers=key,
                                     json={"instances": [{"prompt": "x"}]})).status_code
                    for _ in range(20)]

    first, second = await statuses(), await statuses()
    assert first == second
    assert 200 in first and set(first) - {200} <= {429, 500, 503} and len(set(first)) > 1


async def test_credentials_are_checked(fresh_veo_emulator: VeoEmulator):
    async with httpx.AsyncClient(base_url=fresh_veo_emulator.base_url) as http:
        missing = await http.post(SUBMIT, json={"instances": [{"prompt": "x"}]})
        wrong = await http.post(SUBMIT, headers={"x-goog-api-key": "AIzaNope"},
                                json={"instances": [{"prompt": "x"}]})
    assert (missing.status_code, wrong.status_code) == (401, 403)
    assert "AIzaNope" not in wrong.text
    assert fresh_veo_emulator.counters()["submissions_accepted"] == 0
