"""What the emulated Vertex AI serves for Veo, and the request rules it enforces.

Each constant names the public page it comes from; README.md in this folder has the
full table (rule, source, where sources are silent or disagree, covering test).
Sources (fetched/recorded 2026):
  [M31]  https://docs.cloud.google.com/vertex-ai/generative-ai/docs/models/veo/3-1-generate
         (also .../gemini-enterprise-agent-platform/models/veo/3-1-generate.md.txt)
  [REF]  https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation
  [INST] https://docs.cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/Shared.Types/VideoGenerationModelInstance
  [R2V]  https://docs.cloud.google.com/vertex-ai/generative-ai/docs/video/use-reference-images-to-guide-video-generation
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEED_MAX = 4_294_967_295  # [REF] seed is uint32: 0 - 4,294,967,295
IMAGE_MIME_TYPES = ("image/jpeg", "image/png")  # [INST] Image.mimeType
PERSON_GENERATION = ("allow_adult", "dont_allow", "allow_all")  # [REF] personGeneration


@dataclass(frozen=True)
class VeoModel:
    model_id: str
    durations: tuple[int, ...]  # [M31] Video length: 4, 6, or 8 seconds
    aspect_ratios: tuple[str, ...]  # [M31] 16:9, 9:16
    resolutions: tuple[str, ...]  # [M31] 720, 1080 ; [REF] "720p" | "1080p"
    max_samples: int  # [M31] Maximum videos returned per request: 4 ; [REF] sampleCount 1-4
    requests_per_minute: int  # [M31] Maximum API requests per minute per project: 50
    max_reference_images: int  # [R2V] up to three asset images; 0 = not supported
    reference_durations: tuple[int, ...]  # [M31] reference image to video only supports 8 s
    reference_aspect_ratios: tuple[str, ...]  # [M31] 9:16 "except for reference image to video"
    audio: bool  # [M31] Sound generation: Supported


GA_MODELS: dict[str, VeoModel] = {
    "veo-3.1-generate-001": VeoModel(
        "veo-3.1-generate-001", (4, 6, 8), ("16:9", "9:16"), ("720p", "1080p"), 4, 50,
        3, (8,), ("16:9",), True),
    # [M31] lists no reference-image capability for the Fast model (silent): the
    # stricter reading is taken — referenceImages on Fast answer 400.
    "veo-3.1-fast-generate-001": VeoModel(
        "veo-3.1-fast-generate-001", (4, 6, 8), ("16:9", "9:16"), ("720p", "1080p"), 4, 50,
        0, (), (), True),
}

# Ids that once served (preview / older generations) and now answer 404, with the
# GA id to use instead (named in the error message, as a hint for humans).
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


@dataclass(frozen=True)
class Violation:
    rule: str  # a stable id, listed in README.md; configure(relaxed_rules=[...]) skips it
    field: str
    message: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _image_problem(image: Any, field: str) -> Violation | None:
    if not isinstance(image, dict):
        return Violation("image.shape", field, f"{field} must be an Image object.")
    has_bytes, has_gcs = bool(image.get("bytesBase64Encoded")), bool(image.get("gcsUri"))
    if has_bytes == has_gcs:
        return Violation("image.source", field,
                         f"{field} must set exactly one of bytesBase64Encoded or gcsUri.")
    mime = image.get("mimeType")
    if mime not in IMAGE_MIME_TYPES:
        return Violation("image.mime_type", f"{field}.mimeType",
                         f"Unsupported MIME type {mime!r} for {field}: only image/jpeg and "
                         "image/png are supported.")
    if has_gcs and not str(image["gcsUri"]).startswith("gs://"):
        return Violation("image.gcs_uri", f"{field}.gcsUri",
                         f"{field}.gcsUri must be a gs:// URI, got {image['gcsUri']!r}.")
    return None


def check_request(model: VeoModel, body: Any) -> list[Violation]:
    """Every rule the body breaks (empty when Vertex would accept it)."""
    if not isinstance(body, dict):
        return [Violation("body.shape", "", "Invalid JSON payload received.")]
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        return [Violation("instances.count", "instances",
                          "Exactly one instance is supported per request.")]
    instance, params = instances[0], body.get("parameters") or {}
    if not isinstance(params, dict):
        return [Violation("parameters.shape", "parameters", "parameters must be an object.")]
    found: list[Violation] = []
    refs = instance.get("referenceImages") or []
    prompt = instance.get("prompt")

    if not prompt and not instance.get("image"):
        found.append(Violation("prompt.required", "instances[0].prompt",
                               "A text prompt or an input image is required."))
    for key in ("image", "lastFrame"):
        if key in instance and (problem := _image_problem(instance[key], f"instances[0].{key}")):
            found.append(problem)

    duration = params.get("durationSeconds")
    if duration is None:  # [REF]: "Required. The length in seconds..."
        found.append(Violation("duration.required", "parameters.durationSeconds",
                               "durationSeconds is required."))
    elif not _is_int(duration) or duration not in model.durations:
        allowed = ", ".join(map(str, model.durations))
        found.append(Violation("duration.allowed", "parameters.durationSeconds",
                               f"Unsupported durationSeconds {duration!r} for {model.model_id}: "
                               f"supported values are {allowed}."))
    aspect = params.get("aspectRatio", "16:9")
    if aspect not in model.aspect_ratios:
        found.append(Violation("aspect_ratio.allowed", "parameters.aspectRatio",
                               f"Unsupported aspectRatio {aspect!r}: supported values are "
                               f"{', '.join(model.aspect_ratios)}."))
    resolution = params.get("resolution", "720p")
    if resolution not in model.resolutions:
        found.append(Violation("resolution.allowed", "parameters.resolution",
                               f"Unsupported resolution {resolution!r}: supported values are "
                               f"{', '.join(model.resolutions)}."))
    samples = params.get("sampleCount", 1)
    if not _is_int(samples) or not 1 <= samples <= model.max_samples:
        found.append(Violation("sample_count.range", "parameters.sampleCount",
                               f"sampleCount must be between 1 and {model.max_samples}, "
                               f"got {samples!r}."))
    if "seed" in params:
        seed = params["seed"]
        if not _is_int(seed) or not 0 <= seed <= SEED_MAX:
            found.append(Violation("seed.range", "parameters.seed",
                                   f"seed must be an integer in [0, {SEED_MAX}], got {seed!r}."))
    if "enhancePrompt" in params and params["enhancePrompt"] is not True:
        # [REWRITE] lists only veo-2.0 and the 3.0 previews as models whose rewriter can be
        # turned off; whether Vertex refuses or ignores `false` on 3.x is not documented:
        # the stricter reading, refused.
        found.append(Violation("enhance_prompt.veo3", "parameters.enhancePrompt",
                               f"The prompt rewriter cannot be turned off for {model.model_id}."))
    if model.audio and not isinstance(params.get("generateAudio"), bool):
        # [REF]: generateAudio is "Required for" Veo 3 models.
        found.append(Violation("generate_audio.required", "parameters.generateAudio",
                               f"generateAudio (true or false) is required for {model.model_id}."))
    person = params.get("personGeneration")
    if person is not None and person not in PERSON_GENERATION:
        found.append(Violation("person_generation.allowed", "parameters.personGeneration",
                               f"Unsupported personGeneration {person!r}."))
    storage = params.get("storageUri")
    if storage is not None and not (isinstance(storage, str) and storage.startswith("gs://")):
        found.append(Violation("storage_uri.gcs", "parameters.storageUri",
                               f"storageUri must be a gs:// URI, got {storage!r}."))

    if refs:
        found.extend(_reference_problems(model, instance, params, refs, duration, aspect))
    return found


def _reference_problems(model: VeoModel, instance: dict, params: dict, refs: Any,
                        duration: Any, aspect: Any) -> list[Violation]:
    found: list[Violation] = []
    if not isinstance(refs, list):
        return [Violation("references.shape", "instances[0].referenceImages",
                          "referenceImages must be a list.")]
    if model.max_reference_images == 0:
        return [Violation("references.model", "instances[0].referenceImages",
                          f"referenceImages are not supported by {model.model_id}.")]
    if len(refs) > model.max_reference_images:
        found.append(Violation("references.count", "instances[0].referenceImages",
                               f"At most {model.max_reference_images} asset reference images "
                               f"are supported, got {len(refs)}."))
    if not instance.get("prompt"):  # [INST]
        found.append(Violation("references.prompt", "instances[0].prompt",
                               "A text prompt is required with referenceImages."))
    for key in ("image", "video", "lastFrame"):  # [INST]
        if instance.get(key):
            found.append(Violation("references.exclusive", f"instances[0].{key}",
                                   f"{key} cannot be used together with referenceImages."))
    if duration is not None and duration not in model.reference_durations:
        found.append(Violation("references.duration", "parameters.durationSeconds",
                               f"Reference image to video only supports "
                               f"{'/'.join(map(str, model.reference_durations))} second videos, "
                               f"got durationSeconds={duration!r}."))
    if aspect not in model.reference_aspect_ratios:
        found.append(Violation("references.aspect_ratio", "parameters.aspectRatio",
                               f"Reference image to video supports aspectRatio "
                               f"{', '.join(model.reference_aspect_ratios)} only, got {aspect!r}."))
    for i, ref in enumerate(refs):
        field = f"instances[0].referenceImages[{i}]"
        if not isinstance(ref, dict):
            found.append(Violation("references.shape", field, "Each reference must be an object."))
            continue
        # [R2V] writes "asset"; google-genai's enum and Google's tested sample send "ASSET":
        # either case is accepted (the SDK's own requests must pass). Style: veo-2 only.
        if str(ref.get("referenceType", "")).lower() != "asset":
            found.append(Violation("references.type", f"{field}.referenceType",
                                   f"Unsupported referenceType {ref.get('referenceType')!r}: "
                                   f"{model.model_id} supports asset images only."))
        if problem := _image_problem(ref.get("image"), f"{field}.image"):
            found.append(problem)
    return found
