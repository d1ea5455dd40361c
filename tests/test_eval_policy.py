"""The policy scored on the shared labelled sample and on this repo's held-out set.

The held-out set (tests/data/unseen_instructions.jsonl) was written before the rules,
with phrasing the shared sample lacks: it shows the rules follow the policy, not the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.policy_eval import score_items

REPO = Path(__file__).resolve().parents[1]
SHARED_EVAL = REPO.parent / "shared" / "eval" / "instructions.jsonl"
UNSEEN = REPO / "tests" / "data" / "unseen_instructions.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("path", [SHARED_EVAL, UNSEEN], ids=["shared_eval", "unseen"])
def test_policy_meets_the_thresholds(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared eval lives beside the repo, in ../shared/eval/)")
    score = score_items(load(path))
    assert score.items >= 30
    assert score.template_precision == 1.0, score.misses
    assert score.template_recall >= 0.95, score.misses
    assert score.band_rate >= 0.95, score.misses
    assert score.seed_rate == 1.0, score.misses


@pytest.mark.harness  # the held-out file's shape, not the product
def test_unseen_set_is_labelled_like_the_shared_one() -> None:
    items = load(UNSEEN)
    assert len(items) >= 30
    keys = {"instruction", "prompt", "original_seed", "band", "template_id"}
    assert all(set(item) == keys for item in items)
    assert {item["band"] for item in items} == {
        "very_low",
        "low",
        "medium_low",
        "moderate",
        "medium_high",
        "high",
    }
