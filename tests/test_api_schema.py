"""The published API (docs/api.md, docs/api/*.schema.json) says what the code does."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import jsonschema
from pydantic import BaseModel
from temporalio import workflow

from retake import api_schema, tools
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


def models_in(hint) -> set[type]:
    """The pydantic models a type hint names (through `X | None`, lists, ...)."""
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return {hint}
    return {m for arg in typing.get_args(hint) for m in models_in(arg)}


def test_every_workflow_input_result_query_and_update_is_published():
    from retake.wiring import WORKFLOWS

    published = {model for model, _ in api_schema.PUBLISHED.values()}
    missing = []
    for cls in WORKFLOWS:
        defn = workflow._Definition.from_class(cls)
        fns = [defn.run_fn, *(q.fn for q in defn.queries.values()),
               *(u.fn for u in defn.updates.values())]
        assert not defn.signals, "a signal: publish its argument and list it in docs/api.md"
        for fn in fns:
            for hint in typing.get_type_hints(fn).values():
                missing += [f"{cls.__name__}.{fn.__name__}: {m.__name__}"
                            for m in models_in(hint) - published]
        for name, update in defn.updates.items():
            hints = typing.get_type_hints(update.fn)
            if [h for k, h in hints.items() if k != "return"] == [typing.Any]:  # raw argument
                parsed_as = api_schema.UPDATE_ARGUMENTS.get(name)
                if parsed_as not in published:
                    missing.append(f"{cls.__name__}.{name}: its raw argument's model")
    assert missing == [], "add them to retake/api_schema.PUBLISHED and docs/api.md"


def test_api_doc_links_every_published_file_and_carries_the_openai_tools():
    doc = API_DOC.read_text()
    names = [*api_schema.PUBLISHED, api_schema.TOOLS_FILE]
    assert [n for n in names if f"(api/{n})" not in doc] == []
    assert "signals, updates | none yet" not in doc
    start = doc.index(api_schema.TOOLS_START) + len(api_schema.TOOLS_START)
    block = json.loads(doc[start:doc.index(api_schema.TOOLS_END)])
    assert block == tools.openai_tools()
