"""The provider error mapping, called directly with the exceptions the SDKs raise.

Each exception is made as its SDK makes it from an HTTP answer: openai's client builds
its APIStatusError from the response (`_make_status_error_from_response`), google-genai
raises from the response (`APIError.raise_for_response`). No emulator, no network: the
emulator tests (test_provider_faults_*.py) show the same mapping end to end, slowly;
these run per mutant (docs/mutation.md). Fake secrets are built at run time.
"""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import httpx2 as httpx
import openai
import pytest
from google.auth import exceptions as google_auth_errors
from google.genai import errors as genai_errors
from temporalio.exceptions import ApplicationError

from activities.errors import (
    from_genai_error,
    from_google_auth_error,
    from_http_status,
    from_openai_error,
    non_retryable,
    redact,
    request_may_have_arrived,
    retryable,
    submission_outcome_unknown,
)
from activities.retry_hints import MAX_RETRY_DELAY
from workflows.error_types import (
    PROVIDER_AUTH,
    PROVIDER_BAD_REQUEST,
    PROVIDER_NOT_FOUND,
    PROVIDER_QUOTA_EXHAUSTED,
    PROVIDER_RATE_LIMITED,
    PROVIDER_UNAVAILABLE,
    SUBMISSION_OUTCOME_UNKNOWN,
)

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
VERTEX_URL = "https://aiplatform.googleapis.com/v1/models/veo:predictLongRunning"


def fake_openai_key() -> str:
    return "-".join(["sk", "proj", uuid4().hex])


def fake_google_key() -> str:
    return "AI" + "za" + uuid4().hex[:24]


def openai_error(status: int, body: object, headers: dict | None = None) -> openai.APIStatusError:
    response = httpx.Response(status, headers=headers, content=json.dumps(body).encode(),
                              request=httpx.Request("POST", OPENAI_URL))
    client = openai.OpenAI(api_key="unused", base_url="http://127.0.0.1:9/v1")
    return client._make_status_error_from_response(response)


def genai_error(status: int, body: object, headers: dict | None = None) -> genai_errors.APIError:
    response = httpx.Response(status, headers=headers, content=json.dumps(body).encode(),
                              request=httpx.Request("POST", VERTEX_URL))
    with pytest.raises(genai_errors.APIError) as info:
        genai_errors.APIError.raise_for_response(response)
    return info.value


def vertex_body(code: int, message: str, status: str = "INVALID_ARGUMENT",
                details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "status": status,
                      "details": details or []}}


def msg(error: ApplicationError) -> str:
    return error.message


def kind(error: ApplicationError) -> tuple[str, bool, timedelta | None]:
    return error.type, error.non_retryable, error.next_retry_delay


# --- the shared status policy ----------------------------------------------------------

@pytest.mark.parametrize(("status", "expected", "retry"), [
    (400, PROVIDER_BAD_REQUEST, False), (401, PROVIDER_AUTH, False),
    (402, PROVIDER_BAD_REQUEST, False), (403, PROVIDER_AUTH, False),
    (404, PROVIDER_NOT_FOUND, False), (405, PROVIDER_BAD_REQUEST, False),
    (407, PROVIDER_BAD_REQUEST, False), (408, PROVIDER_UNAVAILABLE, True),
    (409, PROVIDER_UNAVAILABLE, True), (410, PROVIDER_BAD_REQUEST, False),
    (428, PROVIDER_BAD_REQUEST, False), (429, PROVIDER_RATE_LIMITED, True),
    (430, PROVIDER_BAD_REQUEST, False), (499, PROVIDER_BAD_REQUEST, False),
    (500, PROVIDER_UNAVAILABLE, True), (501, PROVIDER_UNAVAILABLE, True),
    (503, PROVIDER_UNAVAILABLE, True),
])
def test_each_status_maps_to_its_type_and_retry(status, expected, retry) -> None:
    error = from_http_status("Prov", status, "the detail")
    assert (error.type, error.non_retryable) == (expected, not retry)
    assert "Prov " in msg(error) and f"(HTTP {status}): the detail" in msg(error)
    assert error.next_retry_delay is None  # no hint given


def test_messages_say_what_to_do() -> None:
    assert msg(from_http_status("P", 401, "d")).endswith(
        "Check the API key or service account the worker is configured with.")
    assert "Check the model name" in msg(from_http_status("P", 404, "d"))
    assert msg(from_http_status("P", 429, "d")) == "P rate-limited the request (HTTP 429): d. Retrying."
    assert msg(from_http_status("P", 503, "d")) == "P is unavailable (HTTP 503): d. Retrying."
    assert "retrying it unchanged will not help" in msg(from_http_status("P", 422, "d"))


def test_the_detail_is_redacted_then_cut_to_500_characters() -> None:
    secret = uuid4().hex
    error = from_http_status("P", 400, f"{secret} " + "x" * 700, secrets=[secret])
    assert secret not in msg(error) and "[redacted] " in msg(error)
    assert ("[redacted] " + "x" * 489 + ". Fix") in msg(error)  # 11 + 489 = 500
    assert "x" * 490 not in msg(error)


def test_a_retry_hint_becomes_the_next_retry_delay_capped() -> None:
    assert from_http_status("P", 429, "d", retry_after=2.5).next_retry_delay == timedelta(
        seconds=2.5)
    assert from_http_status("P", 503, "d", retry_after=7).next_retry_delay == timedelta(seconds=7)
    assert from_http_status("P", 503, "d", retry_after=1e9).next_retry_delay == timedelta(
        seconds=MAX_RETRY_DELAY)
    assert from_http_status("P", 503, "d", retry_after=0).next_retry_delay is None
    assert from_http_status("P", 400, "d", retry_after=5).next_retry_delay is None


def test_error_builders_redact_and_carry_details() -> None:
    key = fake_openai_key()
    error = non_retryable(f"bad {key}", "T", stage="video_generator")
    assert (msg(error), error.type, error.non_retryable) == ("bad [redacted]", "T", True)
    assert error.details == ({"stage": "video_generator"},)
    assert non_retryable("m", "T").details == (None,)
    again = retryable(f"again {key}", "U", 3.0)
    assert (msg(again), again.type, again.non_retryable) == ("again [redacted]", "U", False)
    assert again.next_retry_delay == timedelta(seconds=3)
    assert retryable("m", "U").next_retry_delay is None


# --- OpenAI --------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "expected"), [
    (400, PROVIDER_BAD_REQUEST), (401, PROVIDER_AUTH), (403, PROVIDER_AUTH),
    (404, PROVIDER_NOT_FOUND), (409, PROVIDER_UNAVAILABLE), (422, PROVIDER_BAD_REQUEST),
    (429, PROVIDER_RATE_LIMITED), (500, PROVIDER_UNAVAILABLE), (503, PROVIDER_UNAVAILABLE),
])
def test_openai_status_errors_follow_the_status_policy(status, expected) -> None:
    exc = openai_error(status, {"error": {"message": "said no", "code": "some_code"}})
    error = from_openai_error(exc)
    assert error.type == expected
    assert error.non_retryable == (expected in (PROVIDER_BAD_REQUEST, PROVIDER_AUTH,
                                                PROVIDER_NOT_FOUND))
    assert msg(error).startswith("OpenAI ") and f"(HTTP {status}): Error code: {status} - said no" \
        in msg(error)


def test_openai_exhausted_quota_is_not_retried() -> None:
    exc = openai_error(429, {"error": {"message": "You exceeded your current quota" + "." * 600,
                                       "type": "insufficient_quota", "code": "insufficient_quota"}})
    error = from_openai_error(exc)
    assert kind(error) == (PROVIDER_QUOTA_EXHAUSTED, True, None)
    text = msg(error)
    assert text.startswith("OpenAI says this account's quota is exhausted (HTTP 429 "
                           "insufficient_quota): Error code: 429 - You exceeded your current quota")
    # the SDK's message cut at 500: "Error code: 429 - " (18) + 31 + 451 dots, then ". Add"
    assert "quota" + "." * 451 + ". Add credits" in text and "." * 453 not in text
    assert "OPENAI_API_KEY" in text


def test_an_unknown_openai_model_names_the_setting() -> None:
    exc = openai_error(404, {"error": {"message": "The model does not exist" + "!" * 600,
                                       "code": "model_not_found"}})
    error = from_openai_error(exc, model="gpt-9")
    assert kind(error) == (PROVIDER_NOT_FOUND, True, None)
    text = msg(error)
    assert text.startswith("OpenAI has no model 'gpt-9' for this key (HTTP 404 model_not_found): "
                           "Error code: 404 - The model does not exist")
    assert "!" * 458 + ". Set OPENAI_MODEL" in text and "!" * 459 not in text


@pytest.mark.parametrize("status", [400, 428, 430, 500])
def test_a_quota_code_on_another_status_follows_the_status(status) -> None:
    exc = openai_error(status, {"error": {"message": "m", "code": "insufficient_quota"}})
    assert from_openai_error(exc).type == from_http_status("P", status, "").type


@pytest.mark.parametrize("status", [400, 403, 405, 410])
def test_a_model_code_on_another_status_follows_the_status(status) -> None:
    exc = openai_error(status, {"error": {"message": "m", "code": "model_not_found"}})
    error = from_openai_error(exc, model="gpt-9")
    assert error.type == from_http_status("P", status, "").type and "gpt-9" not in msg(error)


def test_a_429_rate_limit_is_retried_after_openais_hint() -> None:
    exc = openai_error(429, {"error": {"message": "slow down", "code": "rate_limit_exceeded"}},
                       headers={"retry-after-ms": "1500"})
    assert kind(from_openai_error(exc)) == (PROVIDER_RATE_LIMITED, False, timedelta(seconds=1.5))
    plain = openai_error(503, {"error": {"message": "busy"}}, headers={"retry-after": "4"})
    assert kind(from_openai_error(plain)) == (PROVIDER_UNAVAILABLE, False, timedelta(seconds=4))


@pytest.mark.parametrize(("status", "code", "expected"), [
    (429, None, PROVIDER_RATE_LIMITED), (429, "billing_hard_limit", PROVIDER_RATE_LIMITED),
    (404, None, PROVIDER_NOT_FOUND), (404, "deployment_not_found", PROVIDER_NOT_FOUND),
])
def test_other_codes_or_none_take_the_generic_message(status, code, expected) -> None:
    # codes that sort before "insufficient_quota" / "model_not_found", and none at all
    error = from_openai_error(openai_error(status, {"error": {"message": "m", "code": code}}),
                              model="gpt-9")
    assert error.type == expected and f"(HTTP {status}): Error code: {status} - m" in msg(error)


def test_openai_messages_lose_the_key_they_echo() -> None:
    key = fake_openai_key()
    exc = openai_error(401, {"error": {"message": f"Incorrect API key provided: {key}.",
                                       "code": "invalid_api_key"}})
    error = from_openai_error(exc, secrets=[key])
    assert kind(error) == (PROVIDER_AUTH, True, None)
    assert key not in msg(error) and "Incorrect API key provided: [redacted]." in msg(error)


def test_openai_connection_faults_are_retried() -> None:
    request = httpx.Request("POST", OPENAI_URL)
    for exc, name in [(openai.APITimeoutError(request=request), "APITimeoutError"),
                      (openai.APIConnectionError(request=request), "APIConnectionError")]:
        error = from_openai_error(exc)
        assert kind(error) == (PROVIDER_UNAVAILABLE, False, None)
        assert msg(error) == f"OpenAI could not be reached ({name}). Retrying."


# --- Vertex (google-genai) -----------------------------------------------------------------

@pytest.mark.parametrize(("status", "expected"), [
    (400, PROVIDER_BAD_REQUEST), (401, PROVIDER_AUTH), (403, PROVIDER_AUTH),
    (404, PROVIDER_NOT_FOUND), (429, PROVIDER_RATE_LIMITED), (500, PROVIDER_UNAVAILABLE),
    (503, PROVIDER_UNAVAILABLE),
])
def test_vertex_errors_follow_the_status_policy(status, expected) -> None:
    error = from_genai_error(genai_error(status, vertex_body(status, "vertex says no")))
    assert error.type == expected
    assert "Vertex Veo " in msg(error) and f"(HTTP {status}): vertex says no" in msg(error)


def test_a_vertex_answer_without_a_message_shows_its_status_or_error() -> None:
    exc = genai_error(503, {"error": {"code": 503, "status": "UNAVAILABLE"}})
    assert "(HTTP 503): UNAVAILABLE. Retrying." in msg(from_genai_error(exc))
    bare = genai_error(400, {"error": {"code": 400}})
    assert "(HTTP 400): error. Fix" in msg(from_genai_error(bare))


def test_an_error_without_a_code_is_taken_as_a_server_fault() -> None:
    # The SDK takes the code from the body when the status gives none (the live API's path).
    exc = genai_errors.APIError(0, {"error": {"message": "socket closed"}})
    assert exc.code is None
    error = from_genai_error(exc)
    assert kind(error) == (PROVIDER_UNAVAILABLE, False, None)
    assert "(HTTP 500): socket closed" in msg(error)


def test_an_invalid_google_key_is_an_auth_failure_redacted_and_cut() -> None:
    key = fake_google_key()
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
            "domain": "googleapis.com"}
    exc = genai_error(400, vertex_body(400, f"API key not valid: {key} " + "y" * 400,
                                       details=[info]))
    error = from_genai_error(exc, secrets=[key])
    assert kind(error) == (PROVIDER_AUTH, True, None)
    text = msg(error)
    assert key not in text
    assert text.startswith("Vertex AI rejected the API key (HTTP 400 API_KEY_INVALID): "
                           "API key not valid: [redacted] " + "y" * 270 + ". Check GOOGLE_API_KEY")
    other = genai_error(400, vertex_body(400, "bad", details=[{**info, "reason": "OTHER"}]))
    assert from_genai_error(other).type == PROVIDER_BAD_REQUEST


def test_vertex_retry_info_wins_over_a_retry_after_header() -> None:
    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"}
    exc = genai_error(429, vertex_body(429, "quota", "RESOURCE_EXHAUSTED", [retry_info]),
                      headers={"retry-after": "9"})
    assert kind(from_genai_error(exc)) == (PROVIDER_RATE_LIMITED, False, timedelta(seconds=2.5))
    header_only = genai_error(503, vertex_body(503, "busy", "UNAVAILABLE"),
                              headers={"retry-after": "9"})
    assert kind(from_genai_error(header_only)) == (PROVIDER_UNAVAILABLE, False,
                                                   timedelta(seconds=9))
    neither = genai_error(503, vertex_body(503, "busy", "UNAVAILABLE"))
    assert kind(from_genai_error(neither)) == (PROVIDER_UNAVAILABLE, False, None)


@pytest.mark.parametrize("exc", [
    httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut"),
    TimeoutError(), ConnectionResetError(),
])
def test_vertex_transport_faults_are_retried(exc) -> None:
    error = from_genai_error(exc)
    assert kind(error) == (PROVIDER_UNAVAILABLE, False, None)
    assert msg(error) == f"Vertex Veo could not be reached ({type(exc).__name__}). Retrying."


@pytest.mark.parametrize(("mapping", "provider", "key"), [
    (from_openai_error, "OpenAI", fake_openai_key), (from_genai_error, "Vertex Veo", fake_google_key),
])
def test_anything_else_is_retried_redacted_and_cut(mapping, provider, key) -> None:
    error = mapping(RuntimeError(f"odd {key()} " + "z" * 400))
    assert kind(error) == (PROVIDER_UNAVAILABLE, False, None)
    assert msg(error) == f"{provider} call failed unexpectedly: odd [redacted] " + "z" * 285


# --- submissions and google-auth -----------------------------------------------------------

@pytest.mark.parametrize(("exc", "may_have_arrived"), [
    (None, False),  # an HTTP error answer: genai_error(400, ...)
    (httpx.ConnectError("refused"), False), (httpx.ConnectTimeout("slow"), False),
    (httpx.PoolTimeout("full"), False), (httpx.WriteError("cut"), False),
    (httpx.WriteTimeout("slow"), False), (httpx.UnsupportedProtocol("ftp"), False),
    (httpx.ReadTimeout("slow"), True), (httpx.ReadError("reset"), True),
    (httpx.RemoteProtocolError("cut"), True), (ValueError("unreadable"), True),
])
def test_only_a_refusal_or_an_unsent_request_is_known_unpaid(exc, may_have_arrived) -> None:
    exc = exc if exc is not None else genai_error(400, vertex_body(400, "bad"))
    assert request_may_have_arrived(exc) is may_have_arrived


def test_an_unknown_submission_outcome_is_retried_and_says_so() -> None:
    error = submission_outcome_unknown("Vertex Veo", httpx.ReadTimeout("slow"))
    assert kind(error) == (SUBMISSION_OUTCOME_UNKNOWN, False, None)
    assert msg(error) == ("Vertex Veo may have accepted the submission, but its answer was lost "
                          "(ReadTimeout). Whether it was charged is unknown.")


def test_google_auth_errors_follow_their_retryable_flag() -> None:
    transient = from_google_auth_error(google_auth_errors.RefreshError("500", retryable=True))
    assert kind(transient) == (PROVIDER_UNAVAILABLE, False, None)
    assert msg(transient) == "Google's token service failed transiently (RefreshError). Retrying."
    unreachable = from_google_auth_error(google_auth_errors.TransportError("no route"))
    assert kind(unreachable) == (PROVIDER_UNAVAILABLE, False, None)
    for exc in (google_auth_errors.RefreshError("invalid_grant"),
                google_auth_errors.DefaultCredentialsError("none found"), ValueError("odd")):
        refused = from_google_auth_error(exc)
        assert kind(refused) == (PROVIDER_AUTH, True, None)
        assert msg(refused).startswith(
            f"Google credentials for Vertex AI are missing or were refused ({type(exc).__name__}).")


# --- redaction shapes ----------------------------------------------------------------------

def test_key_shapes_are_redacted_keeping_their_labels() -> None:
    token = uuid4().hex
    text = (f"a {fake_openai_key()} b {fake_google_key()} c Bearer {token} "
            f"d https://x/?api_key={token}&k=1 e token={token}")
    assert redact(text) == ("a [redacted] b [redacted] c Bearer [redacted] "
                            "d https://x/?api_key=[redacted]&k=1 e token=[redacted]")


def test_known_secrets_go_longest_first_and_empty_ones_are_ignored() -> None:
    short = uuid4().hex[:10]
    long = f"a{short}z"  # sorts before the short one by name, after it by length
    assert redact(f"[{long}] [{short}]", [short, None, "", long]) == "[[redacted]] [[redacted]]"
    assert redact("nothing here", None) == "nothing here"
