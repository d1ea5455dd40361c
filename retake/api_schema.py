"""The published JSON Schema of the workflows' API, generated from the pydantic models.

    python -m retake.api_schema --write   # regenerate docs/api/*.schema.json, the tools
    python -m retake.api_schema           # exit 1 if a published file is stale

Callers in other languages (docs/api.md) code against these files: every workflow's
input and result, every query's answer, every Update's argument and answer. The models
(workflows/models.py, batch_models.py, version_models.py) are the source, and
tests/test_api_schema.py fails when the two disagree. Input is described as it is
accepted (defaults optional), results as they are sent. The LLM tools (retake/tools.py)
are published the same way: docs/api/openai-tools.json and the block in docs/api.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from retake.job_activity import JobActivity
from retake.tools import openai_tools
from workflows.batch_models import BatchPlan, RegenerateClipsInput, RegenerateClipsResult
from workflows.models import (
    Cancellation,
    Confirmation,
    LateCollectionResult,
    PlanProposal,
    Progress,
    RegenerateClipInput,
    RegenerateClipResult,
    Revision,
)
from workflows.notify_models import Notification
from workflows.step_models import LateCollectionRequest
from workflows.version_models import (
    ClipVersions,
    ClipVersionsInput,
    RevertClipInput,
    RevertClipResult,
)

API_DIR = Path(__file__).resolve().parent.parent / "docs" / "api"
TOOLS_FILE = "openai-tools.json"
TOOLS_START, TOOLS_END = "<!-- openai-tools: generated -->\n```json\n", "```\n<!-- end -->"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# file name -> (model, pydantic JSON Schema mode)
PUBLISHED: dict[str, tuple[type[BaseModel], str]] = {
    "RegenerateClipInput.schema.json": (RegenerateClipInput, "validation"),
    "RegenerateClipResult.schema.json": (RegenerateClipResult, "serialization"),
    "Progress.schema.json": (Progress, "serialization"),
    "LateCollectionResult.schema.json": (LateCollectionResult, "serialization"),
    # Confirm first: `confirm` and `revise` arguments; every Update's answer and `proposal`.
    "Confirmation.schema.json": (Confirmation, "validation"),
    "Revision.schema.json": (Revision, "validation"),
    "Cancellation.schema.json": (Cancellation, "validation"),
    "PlanProposal.schema.json": (PlanProposal, "serialization"),
    # RegenerateClipsWorkflow: input, result, and its Updates' and `batch` query's answer.
    "RegenerateClipsInput.schema.json": (RegenerateClipsInput, "validation"),
    "RegenerateClipsResult.schema.json": (RegenerateClipsResult, "serialization"),
    "BatchPlan.schema.json": (BatchPlan, "serialization"),
    # ListClipVersionsWorkflow and RevertClipWorkflow.
    "ClipVersionsInput.schema.json": (ClipVersionsInput, "validation"),
    "ClipVersions.schema.json": (ClipVersions, "serialization"),
    "RevertClipInput.schema.json": (RevertClipInput, "validation"),
    "RevertClipResult.schema.json": (RevertClipResult, "serialization"),
    # retake.job_activity: one job's pending plans, running regenerations, recent outcomes.
    "JobActivity.schema.json": (JobActivity, "serialization"),
    # CollectLateVideoWorkflow's input (started by a regeneration, never by callers).
    "LateCollectionRequest.schema.json": (LateCollectionRequest, "validation"),
    # NotifyWorkflow's input: the push's body is its `event` (a receiver's contract).
    "Notification.schema.json": (Notification, "validation"),
}


# Update arguments the workflows take raw (typed `Any`, parsed in the validator so a
# malformed one is InvalidInput): Update name -> the model it is parsed as.
UPDATE_ARGUMENTS: dict[str, type[BaseModel]] = {
    "confirm": Confirmation, "revise": Revision, "cancel": Cancellation,
}


def schema_of(model: type[BaseModel], mode: str) -> dict:
    return {"$schema": DRAFT, **model.model_json_schema(mode=mode)}


def rendered() -> dict[str, str]:
    """Each published file's expected text."""
    files = {
        name: json.dumps(schema_of(model, mode), indent=2) + "\n"
        for name, (model, mode) in PUBLISHED.items()
    }
    files[TOOLS_FILE] = json.dumps(openai_tools(), indent=2) + "\n"
    return files


def doc_with_tools(doc: str) -> str:
    """docs/api.md with its generated OpenAI tools block brought up to date."""
    start = doc.index(TOOLS_START) + len(TOOLS_START)
    end = doc.index(TOOLS_END, start)
    return doc[:start] + rendered()[TOOLS_FILE] + doc[end:]


def stale(api_dir: Path = API_DIR) -> list[str]:
    """Published files missing or different from what the models say."""
    out = [
        name
        for name, text in rendered().items()
        if not (api_dir / name).exists() or (api_dir / name).read_text() != text
    ]
    doc = api_dir.parent / "api.md"
    if doc.exists() and doc_with_tools(doc.read_text()) != doc.read_text():
        out.append("../api.md")
    return out


def write(api_dir: Path = API_DIR) -> None:
    api_dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (api_dir / name).write_text(text)
    doc = api_dir.parent / "api.md"
    if doc.exists():
        doc.write_text(doc_with_tools(doc.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="regenerate docs/api/*.schema.json")
    args = parser.parse_args(argv)
    if args.write:
        write()
        return 0
    out_of_date = stale()
    for name in out_of_date:
        print(f"docs/api/{name} is stale: run python -m retake.api_schema --write")
    return 1 if out_of_date else 0


if __name__ == "__main__":
    sys.exit(main())
