"""The prompt-rewrite activity: GPT-4o with Structured Outputs, or the offline planner.

One call per attempt (`max_retries=0`): Temporal owns retries, so a 429's Retry-After
becomes the activity's next retry delay instead of a hidden SDK back-off. A reply
that is not the expected JSON is not an error: the policy's text fallback reads it
(temperature 0.7). A reply that cannot be used at all (cut off by finish_reason
"length", no prompt to be found, a temperature that is not a number) is answered by
the offline planner, labelled planner=offline with the reason in its reasoning: never
a paid generation of the bare original prompt (issue 12). With no OpenAI key, the
offline planner answers, and the suggestion says so (planner=offline). The LLM's prompt
then gets the offline planner's checks (reply_checks.py): removed things gone, no
contradicting time or weather words.
"""

from __future__ import annotations

import math

import openai
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.config import Settings
from activities.errors import from_openai_error, non_retryable, redact, retryable
from activities.planner.llm_prompt import LLMPromptReply, build_messages
from activities.planner.llm_text_reply import parse_llm_text_reply
from activities.planner.offline_planner import offline_suggestion
from activities.planner.reply_checks import checked_suggestion
from workflows.error_types import CONTENT_FILTERED, PROVIDER_UNAVAILABLE
from workflows.models import PlannerKind
from workflows.step_models import PromptRequest, PromptSuggestion

REQUEST_TEMPERATURE = 0.2  # sampling of the planner itself: the same request, nearly the same plan


REASONING_MODEL_PREFIXES = ("o1", "o3", "o4", "gpt-5", "gpt-6")  # OpenAI's reasoning guide
REASONING_TOKEN_FACTOR = 8  # the reasoning before the reply counts in the same cap


def is_reasoning_model(model: str) -> bool:
    """Reasoning models take no sampling parameters (temperature) and count their reasoning
    in max_completion_tokens (OpenAI's "Reasoning models" guide)."""
    return model.startswith(REASONING_MODEL_PREFIXES)


class PromptActivities:
    """Owns the OpenAI client (None when no key is configured)."""

    def __init__(
        self,
        client: openai.AsyncOpenAI | None,
        model: str,
        secrets: list[str | None] | None = None,
        *,
        max_output_tokens: int = 1000,
    ) -> None:
        self._client = client
        self._max_output_tokens = max_output_tokens
        self._model = model
        self._secrets = secrets or []

    @classmethod
    def from_settings(cls, settings: Settings) -> PromptActivities:
        client = None
        if settings.uses_llm:
            assert settings.openai_api_key is not None
            client = openai.AsyncOpenAI(
                api_key=settings.openai_api_key.get_secret_value(),
                base_url=settings.openai_base_url,  # None: the SDK reads OPENAI_BASE_URL itself
                timeout=settings.openai_timeout_seconds,
                max_retries=0,
            )
        return cls(client, settings.openai_model, settings.secret_values(),
                   max_output_tokens=settings.openai_max_output_tokens)

    @activity.defn
    async def suggest_prompt(self, req: PromptRequest) -> PromptSuggestion:
        """Rewrite the clip's prompt for the instruction; choose a temperature."""
        if self._client is None:
            suggestion = offline_suggestion(req.instruction, req.context.prompt)
        else:
            suggestion = checked_suggestion(req, await self._ask_llm(req))
        activity.logger.info(
            "suggest_prompt model=%s planner=%s temperature=%.2f parsed_as_json=%s",
            self._model if suggestion.planner == PlannerKind.LLM else "-",
            suggestion.planner.value,
            suggestion.temperature,
            suggestion.parsed_as_json,
        )
        return suggestion

    async def _ask_llm(self, req: PromptRequest) -> PromptSuggestion:
        assert self._client is not None
        try:
            raw = await self._client.chat.completions.with_raw_response.parse(
                model=self._model,
                messages=build_messages(req),
                response_format=LLMPromptReply,
                # A bound on what one call costs; a reasoning model's reasoning counts in it.
                max_completion_tokens=self._max_output_tokens
                * (REASONING_TOKEN_FACTOR if is_reasoning_model(self._model) else 1),
                # Reasoning models refuse any temperature but their default.
                **({} if is_reasoning_model(self._model) else {"temperature": REQUEST_TEMPERATURE}),
            )
        except openai.OpenAIError as exc:
            # `from None`: the SDK's message may quote the key; it must not ride along as a cause.
            raise from_openai_error(exc, self._secrets, self._model) from None
        try:
            completion = raw.parse()
        except openai.ContentFilterFinishReasonError:
            raise self._refused("its content filter stopped the reply") from None
        except openai.LengthFinishReasonError:  # issue 12: a cut-off rewrite is not usable
            return unusable_reply_fallback(req, "it was cut off (finish_reason length)")
        except ValueError:  # pydantic/JSON errors
            return self._text_fallback(raw.http_response, req)
        if not completion.choices:
            raise retryable("OpenAI answered with no choices. Retrying.", PROVIDER_UNAVAILABLE)
        message = completion.choices[0].message
        if message.refusal:
            raise self._refused(f"the model refused: {message.refusal[:300]}")
        if message.parsed is None:
            return self._text_fallback(raw.http_response, req)
        if not math.isfinite(message.parsed.temperature):  # issue 12: NaN must not become 0.0
            return unusable_reply_fallback(req, "its temperature was not a number")
        return message.parsed.to_suggestion()

    def _text_fallback(self, http_response: object, req: PromptRequest) -> PromptSuggestion:
        """The reply was not the expected JSON: read what text there is, at temperature 0.7."""
        try:
            body = http_response.json()  # type: ignore[attr-defined]
            text = body["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            raise retryable(
                "OpenAI answered with a body that is not a chat completion. Retrying.",
                PROVIDER_UNAVAILABLE,
            ) from None
        suggestion = parse_llm_text_reply(text, req.context.prompt)  # planner=llm, not JSON
        if suggestion.prompt == req.context.prompt:  # issue 12: no rewrite in it at all
            return unusable_reply_fallback(req, "no rewritten prompt could be read from it")
        return suggestion

    def _refused(self, why: str) -> ApplicationError:
        return non_retryable(
            redact(f"OpenAI did not rewrite the prompt: {why}.", self._secrets)
            + " Rephrase the instruction; retrying it unchanged will not help.",
            CONTENT_FILTERED,
            provider="openai",
        )


def unusable_reply_fallback(req: PromptRequest, why: str) -> PromptSuggestion:
    """The offline planner's answer to an unusable GPT reply, labelled as such (issue 12)."""
    activity.logger.warning("suggest_prompt: unusable LLM reply (%s); offline planner used", why)
    suggestion = offline_suggestion(req.instruction, req.context.prompt)
    return suggestion.model_copy(update={
        "reasoning": f"The LLM's reply was unusable ({why}); {suggestion.reasoning}",
        "parsed_as_json": False,
    })
