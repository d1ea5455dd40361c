"""The published API (docs/api.md, docs/api/*.schema.json) says what the code does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from retake import api_schema
from workflows import error_types
from workflows.conventions import workflow_id_for
from workflows.models import RegenerateClipInput

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_published_schemas_match_the_models():
    assert api_schema.stale() == [], "run: python -m retake.api_schema --write"


def test_a_schema_that_differs_from_the_models_is_reported(tmp_path):
    api_schema.write(tmp_path)
    assert api_schema.stale(tmp_path) == []
    edited = tmp_path / "RegenerateClipResult.schema.json"
    schema = json.loads(edited.read_text())
    del schema["properties"]["video_url"]
    edited.write_text(json.dumps(schema, indent=2) + "\n")
    (tmp_path / "Progress.schema.json").unlink()
    assert api_schema.stale(tmp_path) == ["RegenerateClipResult.schema.json", "Progress.schema.json"]
    assert api_schema.main([]) == 0  # the committed files are current


def test_api_doc_names_every_error_type():
    doc = API_DOC.read_text()
    names = [v for k, v in vars(error_types).items() if k.isupper() and isinstance(v, str)]
    assert names and [n for n in names if f"`{n}`" not in doc] == []


def test_cli_example_in_the_api_doc_is_a_valid_conventional_start():
    doc = API_DOC.read_text()
    (payload,) = re.findall(r"--input '([^']+)'", doc)
    (job,) = re.findall(r"^JOB=(\S+)$", doc, flags=re.M)
    example = json.loads(payload)
    schema = (api_schema.API_DIR / "RegenerateClipInput.schema.json").read_text()
    jsonschema.validate(example, json.loads(schema))
    inp = RegenerateClipInput.model_validate(example)
    assert '--workflow-id "regenerate-$JOB-2"' in doc
    assert f"regenerate-{job}-2" == workflow_id_for(inp.job_id, inp.clip_index)
