"""The layout a newcomer relies on: small workflow files, public names across modules,
and every name a caller uses bound once in workflows/conventions.py."""

from __future__ import annotations

import ast
from pathlib import Path

from temporalio.workflow import _Definition

from retake.wiring import WORKFLOWS
from workflows import conventions

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = sorted((ROOT / "workflows").rglob("*.py"))


def test_no_workflow_file_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in WORKFLOW_FILES
            if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


def test_no_module_imports_another_modules_private_names():
    private = []
    for path in [*WORKFLOW_FILES, *ROOT.glob("benchmarks/*.py"), *ROOT.glob("tests/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workflows"):
                private += [f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                            for a in node.names if a.name.startswith("_")]
    assert private == []


def test_workflow_update_and_query_names_come_from_conventions():
    bound = {v for k, v in vars(conventions).items() if k.isupper() and isinstance(v, str)}
    for cls in WORKFLOWS:
        defn = _Definition.must_from_class(cls)
        assert defn.name in bound, defn.name
        assert set(defn.queries) <= bound, (defn.name, set(defn.queries) - bound)
        assert set(defn.updates) <= bound, (defn.name, set(defn.updates) - bound)
