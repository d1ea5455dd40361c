"""The published JSON Schema of the workflow's API, generated from the pydantic models.

    python -m retake.api_schema --write   # regenerate docs/api/*.schema.json
    python -m retake.api_schema           # exit 1 if a published file is stale

Callers in other languages (docs/api.md) code against these files; the models in
workflows/models.py are the source, and tests/test_api_schema.py fails when the two
disagree. Input is described as it is accepted (defaults optional), results as
they are sent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import BaseModel

from workflows.models import (
    LateCollectionResult,
    Progress,
    RegenerateClipInput,
    RegenerateClipResult,
)

API_DIR = Path(__file__).resolve().parent.parent / "docs" / "api"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# file name -> (model, pydantic JSON Schema mode)
PUBLISHED: dict[str, tuple[type[BaseModel], str]] = {
    "RegenerateClipInput.schema.json": (RegenerateClipInput, "validation"),
    "RegenerateClipResult.schema.json": (RegenerateClipResult, "serialization"),
    "Progress.schema.json": (Progress, "serialization"),
    "LateCollectionResult.schema.json": (LateCollectionResult, "serialization"),
}


def schema_of(model: type[BaseModel], mode: str) -> dict:
    return {"$schema": DRAFT, **model.model_json_schema(mode=mode)}


def rendered() -> dict[str, str]:
    """Each published file's expected text."""
    return {
        name: json.dumps(schema_of(model, mode), indent=2) + "\n"
        for name, (model, mode) in PUBLISHED.items()
    }


def stale(api_dir: Path = API_DIR) -> list[str]:
    """Published files missing or different from what the models say."""
    return [
        name
        for name, text in rendered().items()
        if not (api_dir / name).exists() or (api_dir / name).read_text() != text
    ]


def write(api_dir: Path = API_DIR) -> None:
    api_dir.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (api_dir / name).write_text(text)


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
