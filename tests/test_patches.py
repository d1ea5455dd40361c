"""docs/operations.md lists exactly the patches workflows/patches.py defines.

`RETAKE_WRITE_DOCS=1 python -m pytest tests/test_patches.py` rewrites the table.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

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
