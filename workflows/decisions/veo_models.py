"""The Veo model catalogue: what each served model accepts and costs, one row per id.

Every limit the product applies to Veo (durations, aspect ratios, resolutions,
reference images, audio, price) comes from here, so validation, planning, cost
estimates, the Veo backend and the preview backend agree. Each row cites its page:

  [M31]  Veo 3.1 model page (GA ids, 4/6/8 s, 16:9 and 9:16, 720p/1080p, audio, 8 s only
         and no 9:16 for reference-image-to-video, asset images on veo-3.1-generate-001):
         https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/veo/3-1-generate
  [R2V]  Reference images: up to 3 asset images:
         https://docs.cloud.google.com/vertex-ai/generative-ai/docs/video/use-reference-images-to-guide-video-generation
  [INST] Image.mimeType image/jpeg or image/png:
         https://docs.cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/Shared.Types/VideoGenerationModelInstance
  [REF]  Veo API reference (durationSeconds required, generateAudio required for Veo 3;
         the seed range lives in seeds.py):
         https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation
  [REWRITE] Turn the prompt rewriter off (which models let you):
         https://cloud.google.com/vertex-ai/generative-ai/docs/video/turn-the-prompt-rewriter-off
  [PRICE] Vertex AI pricing, Veo video with audio, USD per second:
         https://cloud.google.com/vertex-ai/generative-ai/pricing
  [MUTE]  Video without audio: UNVERIFIED. Google's own pricing page could not be read
         when this was written; the value follows third-party price lists that mirror
         Google's (about half for the standard model, two thirds for Fast). Check [PRICE]
         before relying on it; each row's `no_audio_source` says so.

Where a page is silent (reference images on the Fast model) the stricter reading is
taken: not supported. Ids that no longer serve map to their GA replacement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

REFERENCE_MIME_TYPES = ("image/jpeg", "image/png")  # [INST]
MAX_REFERENCE_BYTES = 10 * 1024 * 1024  # our cap on one downloaded reference image
CENT = Decimal("0.01")


@dataclass(frozen=True)
class VeoModel:
    model_id: str
    durations: tuple[int, ...]  # seconds Veo generates
    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]
    max_reference_images: int  # asset images; 0 = no reference-image-to-video
    reference_durations: tuple[int, ...]  # the only lengths generated with references
    reference_aspect_ratios: tuple[str, ...]
    audio: bool  # generates a sound track (generateAudio must be sent)
    price_per_second_usd: Decimal  # with audio
    source: str  # the page this row was read from
    # Without audio (generateAudio false): the music video lays the song over the clip,
    # so a clip's own sound is paid for and thrown away.
    price_per_second_no_audio_usd: Decimal | None = None
    no_audio_source: str = ""

    def price_per_second(self, generate_audio: bool) -> Decimal:
        """The price Veo bills per second for this request shape (with audio if unknown)."""
        if generate_audio or self.price_per_second_no_audio_usd is None:
            return self.price_per_second_usd
        return self.price_per_second_no_audio_usd

    def price_source(self, generate_audio: bool) -> str:
        """Where the price actually used comes from (plans and the ledger carry it)."""
        if generate_audio or self.price_per_second_no_audio_usd is None:
            return PRICE
        return self.no_audio_source

    @property
    def takes_references(self) -> bool:
        return self.max_reference_images > 0

    @property
    def prompt_rewriter_optional(self) -> bool:
        """Google's "Turn the prompt rewriter off" page lists only veo-2.0 and the 3.0
        previews as models whose rewriter can be turned off [REWRITE]: a 3.x request gets
        no enhancePrompt field."""
        return self.model_id.startswith("veo-2")

    def resolution_for(self, wanted: str | None) -> str:
        """`wanted` when the model renders it, else its highest ([M31]: 720p and 1080p)."""
        return wanted if wanted in self.resolutions else self.resolutions[-1]


M31 = "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/veo/3-1-generate"
PRICE = "https://cloud.google.com/vertex-ai/generative-ai/pricing"
MUTE_UNVERIFIED = "unverified: third-party lists, not Google's page [MUTE]"

CATALOGUE: dict[str, VeoModel] = {
    model.model_id: model
    for model in (
        VeoModel("veo-3.1-generate-001", (4, 6, 8), ("16:9", "9:16"), ("720p", "1080p"),
                 3, (8,), ("16:9",), True, Decimal("0.40"), M31,
                 Decimal("0.20"), MUTE_UNVERIFIED),
        VeoModel("veo-3.1-fast-generate-001", (4, 6, 8), ("16:9", "9:16"), ("720p", "1080p"),
                 0, (), (), True, Decimal("0.15"), M31,
                 Decimal("0.10"), MUTE_UNVERIFIED),
    )
}
DEFAULT_MODEL_ID = "veo-3.1-generate-001"

# Ids that no longer serve on Vertex AI [M31 marks 3.1 previews superseded by the GA ids],
# with the id to use instead.
RETIRED_MODELS: dict[str, str] = {
    "veo-3.1-generate-preview": "veo-3.1-generate-001",
    "veo-3.1-fast-generate-preview": "veo-3.1-fast-generate-001",
    "veo-3.0-generate-001": "veo-3.1-generate-001",
    "veo-3.0-fast-generate-001": "veo-3.1-fast-generate-001",
    "veo-3.0-generate-preview": "veo-3.1-generate-001",
    "veo-3.0-fast-generate-preview": "veo-3.1-fast-generate-001",
    "veo-2.0-generate-001": "veo-3.1-generate-001",
    "veo-2.0-generate-exp": "veo-3.1-generate-001",
}


def model_problem(model_id: str) -> str | None:
    """Why `model_id` cannot be used (naming what to use instead), or None if it is served."""
    if model_id in CATALOGUE:
        return None
    if model_id in RETIRED_MODELS:
        return (f"options.video_model {model_id!r} is retired on Vertex AI; use "
                f"{RETIRED_MODELS[model_id]!r}")
    return (f"options.video_model {model_id!r} is not a served Veo model; use one of "
            f"{', '.join(map(repr, CATALOGUE))}")


def model_for(model_id: str) -> VeoModel:
    """The catalogue row; an id validation would refuse falls back to its replacement."""
    return CATALOGUE.get(model_id) or CATALOGUE[RETIRED_MODELS.get(model_id, DEFAULT_MODEL_ID)]


def shortest_duration(durations: tuple[int, ...], target_seconds: float) -> int:
    """The shortest allowed duration that covers the target, at most the longest.

    A missing or nonsensical target (<= 0, NaN) gets the longest: raising here would
    fail the workflow task over bad stored data instead of producing a usable clip.
    """
    if (
        not isinstance(target_seconds, (int, float))
        or math.isnan(target_seconds)
        or target_seconds <= 0
    ):
        return durations[-1]
    return next((s for s in durations if target_seconds <= s), durations[-1])


def estimate_cost(model_id: str, generated_seconds: int, generate_audio: bool = True) -> Decimal:
    """Price of one generation of `generated_seconds` (what is billed), to the cent.

    `generate_audio` defaults to True so plans made before prices without audio keep
    their cost on replay; callers that send generateAudio false pass False."""
    seconds = Decimal(max(0, int(generated_seconds)))
    price = model_for(model_id).price_per_second(generate_audio)
    return (price * seconds).quantize(CENT, rounding=ROUND_HALF_UP)


def request_problems(model_id: str, duration_seconds: int, aspect_ratio: str,
                     reference_count: int) -> list[str]:
    """What Vertex AI would refuse in a generation of this shape (the preview backend
    refuses the same, so an offline run cannot plan what Veo would reject)."""
    if model_id not in CATALOGUE:
        return [model_problem(model_id) or ""]
    model = CATALOGUE[model_id]
    found = []
    if duration_seconds not in model.durations:
        found.append(f"durationSeconds {duration_seconds} is not one of {model.durations}")
    if aspect_ratio not in model.aspect_ratios:
        found.append(f"aspectRatio {aspect_ratio} is not one of {model.aspect_ratios}")
    if reference_count:
        if reference_count > model.max_reference_images:
            found.append(f"{model_id} takes at most {model.max_reference_images} reference images")
        if duration_seconds not in model.reference_durations:
            found.append(f"reference images need durationSeconds in {model.reference_durations}")
        if aspect_ratio not in model.reference_aspect_ratios:
            found.append(f"reference images need aspectRatio in {model.reference_aspect_ratios}")
    return found
