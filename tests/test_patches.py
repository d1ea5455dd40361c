"""docs/operations.md lists exactly the patches workflows/patches.py defines.

`RETAKE_WRITE_DOCS=1 python -m pytest tests/test_patches.py` rewrites the table.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from workflows import patches

DOC = Path(__file__).resolve().parents[1] / "docs" / "operations.md"
BLOCK = re.compile(r"(<!-- patches:begin -->\n)(.*?)(<!-- patches:end -->)", re.S)


def test_operations_doc_lists_every_patch_as_the_code_does():
    text = DOC.read_text()
    wanted = patches.markdown_table() + "\n"
    if os.environ.get("RETAKE_WRITE_DOCS"):
        DOC.write_text(BLOCK.sub(lambda m: m.group(1) + wanted + m.group(3), text))
        text = DOC.read_text()
    block = BLOCK.search(text)
    assert block, "docs/operations.md lost its <!-- patches:begin/end --> block"
    assert block.group(2) == wanted, "patch table out of date: RETAKE_WRITE_DOCS=1 to rewrite"


def test_a_patch_cannot_be_changed_at_run_time():
    """A patch is a constant: code that rebound an id would record another marker than
    every history kept, and a replay would fail."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        patches.NOTIFY.id = "notify-url-2"  # type: ignore[misc]
    assert len({p.id for p in patches.ALL}) == len(set(patches.ALL)) == len(patches.ALL)
