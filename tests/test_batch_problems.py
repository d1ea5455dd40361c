"""What a batch request may not be (workflows/regenerate_clips.py `batch_problems`): pure,
no server. Each bound at both sides, with literal values: the caps are 100 clips, clip
indexes 0 to 2**31 - 1 and 1 to 20 children at once."""

from __future__ import annotations

import uuid

import pytest

from workflows.batch_models import RegenerateClipsInput
from workflows.regenerate_clips import batch_problems

JOB = uuid.UUID("00000000-0000-4000-8000-000000000007")


def batch(**fields) -> RegenerateClipsInput:
    return RegenerateClipsInput(job_id=JOB, **({"instruction": "make it darker"} | fields))


@pytest.mark.parametrize("indexes", [[0], [0, 2**31 - 1], list(range(100))])
def test_a_batch_within_every_bound_has_no_problem(indexes):
    assert batch_problems(batch(clips=indexes), indexes) == []
    for concurrent in (1, 20):
        assert batch_problems(batch(clips=indexes, max_concurrent=concurrent), indexes) == []


def test_over_a_hundred_clips_is_the_only_problem_named():
    indexes = list(range(101))
    assert batch_problems(batch(clips=indexes, max_concurrent=0), indexes) == [
        "101 clips is over the 100 one batch may take: split the job into several batches"]


@pytest.mark.parametrize("index", [-1, 2**31])
def test_a_clip_index_past_either_end_is_refused(index):
    assert batch_problems(batch(clips=[0, index]), [0, index]) == [
        "clip indexes must be within 0-2147483647"]


@pytest.mark.parametrize("concurrent", [0, 21])
def test_children_at_once_past_either_end_is_refused(concurrent):
    assert batch_problems(batch(clips=[1], max_concurrent=concurrent), [1]) == [
        "max_concurrent must be within 1-20"]


def test_no_clips_a_clip_twice_and_both_kinds_of_instruction_are_each_named():
    assert batch_problems(batch(clips=[]), []) == [
        'no clips to regenerate: list clip indexes, or use "all" on a job with clips']
    assert batch_problems(batch(clips=[3, 3]), [3, 3]) == ["a clip index is listed twice"]
    both = batch(clips=[1], instructions={1: "brighter"})
    assert batch_problems(both, [1]) == [
        "give either `instruction` (for `clips`) or `instructions` per clip, not both"]
    neither = RegenerateClipsInput(job_id=JOB, clips=[1])
    assert batch_problems(neither, [1])[0] == (
        "give either `instruction` (for `clips`) or `instructions` per clip, not both")


def test_one_instruction_is_checked_once_and_each_own_instruction_on_its_clip():
    shared = batch_problems(batch(clips=[1, 2], instruction="   "), [1, 2])
    assert len(shared) == 1 and not shared[0].startswith("clip ")  # not repeated per clip
    own = RegenerateClipsInput(job_id=JOB, instructions={1: "brighter", 2: "   "})
    found = batch_problems(own, [1, 2])
    assert len(found) == 1 and found[0].startswith("clip 2: ")
