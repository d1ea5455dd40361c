"""The offline planner: each rule of the policy, read from phrasing the eval file lacks."""

from __future__ import annotations

import pytest

from activities.planner.offline_planner import offline_suggestion
from workflows.decisions.temperature import BANDS
from workflows.models import PlannerKind

PROMPT = "A band plays on a rooftop at sunset, wide shot, slow dolly in, warm tones"


@pytest.mark.parametrize(
    ("instruction", "band"),
    [
        # sameness phrases -> very_low
        ("basically identical, the drummer's sticks glitch", "very_low"),
        ("as close as possible to the original but without the lens flare", "very_low"),
        ("more or less the same, correct his left eye", "very_low"),
        # a bare defect fix -> the very_low/low boundary
        ("fix the warped hands", "very_low"),
        # scope words -> low
        ("keep the camera angle, just give the singer a red scarf", "low"),
        ("change only the sky color to purple", "low"),
        ("leave the rest alone and swap the guitar for a violin", "low"),
        ("everything else stays, add a neon sign behind the band", "low"),
        # intensity words -> medium_low
        ("make the shadows a little softer", "medium_low"),
        ("a tiny bit more contrast", "medium_low"),
        ("subtly shift the palette toward teal", "medium_low"),
        # moderate modifications, compounds of them
        ("add falling confetti", "moderate"),
        ("make the lighting moodier and add haze", "moderate"),
        ("don't make it darker, make it warmer", "moderate"),
        ("make the daylight lamp on the desk flicker", "moderate"),
        # significant changes: time of day, lighting, setting -> medium_high
        ("move it to dusk", "medium_high"),
        ("change the time of day", "medium_high"),
        ("use a totally different lighting setup", "medium_high"),
        ("change the location to a beach", "medium_high"),
        ("make it winter", "medium_high"),
        ("make it night and add fireworks", "medium_high"),
        # scope pulls a significant change down one step
        ("keep the framing but make it dawn", "moderate"),
        # complete-redo phrases -> high
        ("start from scratch", "high"),
        ("reimagine this clip", "high"),
        ("I hate this, give me a fresh new take", "high"),
        ("throw it away and do something else", "high"),
        ("give it another go", "high"),
    ],
)
def test_offline_band(instruction: str, band: str) -> None:
    suggestion = offline_suggestion(instruction, PROMPT)
    assert BANDS[band].contains(suggestion.temperature), (instruction, suggestion.reasoning)
    assert suggestion.planner is PlannerKind.OFFLINE
    assert suggestion.template_id is None


@pytest.mark.parametrize(
    "instruction",
    ["don't start over, just fix the hand", "not something completely different, fix the flicker"],
)
def test_negated_redo_is_not_a_redo(instruction: str) -> None:
    assert offline_suggestion(instruction, PROMPT).temperature < 0.5


def test_redo_keeps_the_scene_and_leaves_variation_to_temperature() -> None:
    suggestion = offline_suggestion("start over", PROMPT)
    assert suggestion.prompt == PROMPT
    assert "complete regeneration" in suggestion.reasoning


def test_precise_change_is_stated_and_the_rest_kept() -> None:
    suggestion = offline_suggestion("keep the framing, just change the sign text to OPEN", PROMPT)
    assert suggestion.prompt.startswith(PROMPT)
    assert "sign text changed to OPEN" in suggestion.prompt  # the user's own casing
    assert suggestion.prompt.endswith("Everything else unchanged")


def test_time_of_day_change_rewrites_the_prompt_instead_of_appending() -> None:
    suggestion = offline_suggestion("change the time of day to dawn", PROMPT)
    assert "at dawn" in suggestion.prompt and "sunset" not in suggestion.prompt


def test_compound_applies_the_template_part_and_weaves_in_the_rest() -> None:
    suggestion = offline_suggestion("make it nighttime and add fireworks", PROMPT)
    assert "at night" in suggestion.prompt and "sunset" not in suggestion.prompt
    assert "fireworks" in suggestion.prompt
    assert "Requested change" not in suggestion.prompt


def test_fix_is_said_positively_in_the_prompt() -> None:
    suggestion = offline_suggestion("almost the same, the guitar strings look wrong", PROMPT)
    assert suggestion.prompt.startswith(PROMPT)
    assert "intact guitar strings" in suggestion.prompt
    assert "Fix:" not in suggestion.prompt and "look wrong" not in suggestion.prompt


def test_empty_instruction_gets_a_moderate_plan() -> None:
    suggestion = offline_suggestion("   ", PROMPT)
    assert BANDS["moderate"].contains(suggestion.temperature)
    assert suggestion.prompt == PROMPT


@pytest.mark.parametrize("instruction", ["make it b&w", "B&W pls", "black & white please",
                                         "make it b/w"])
def test_black_and_white_however_typed_is_one_look(instruction):
    """"B&W" once reached Veo as "W", "make it b&w" changed nothing, and "black & white"
    became "black, white": the "&" split the look into two clauses (session 8)."""
    prompt = offline_suggestion(instruction, PROMPT).prompt
    assert "black and white" in prompt.lower()
    assert ", W," not in prompt and "black, white" not in prompt.lower()


def test_a_spaced_ampersand_still_joins_two_changes():
    prompt = offline_suggestion("add rain & fog", PROMPT).prompt
    assert "rain" in prompt and "fog" in prompt


@pytest.mark.parametrize(("instruction", "prompt", "expected"), [
    ("make his shirt purple and blue", "A man in a red shirt sits on a bench",
     "A man in a purple and blue shirt sits on a bench. Everything else unchanged"),
    ("make his shirt purple and blue", "A man sits on a bench in a park, soft light",
     "A man sits on a bench in a park, soft light, purple and blue shirt. Everything else unchanged"),
    ("make the dark red car bright blue", "A car drives down a street at night",
     "A bright blue car drives down a street at night. Everything else unchanged"),
])
def test_several_attribute_words_stay_together_after_the_thing(instruction, prompt, expected):
    """Session 9 (found by mutation testing): the thing was read longest first, so
    'shirt purple and' became the thing and 'blue' the colour ('..., blue shirt purple',
    the red shirt left red)."""
    assert offline_suggestion(instruction, prompt).prompt == expected


def test_a_colour_change_on_the_second_of_two_joined_things_leaves_the_first():
    """Session 9, found reading prompt_edits' mutation survivors: 'and' before a colour
    was taken as one thing's colour list, so 'a blue jacket and red hat' was one phrase
    and the jacket was recoloured ('a green jacket and hat'). POLICY_VERSION 6."""
    prompt = "A man in a blue jacket and red hat"
    assert offline_suggestion("make the hat green", prompt).prompt == (
        "A man in a blue jacket and green hat. Everything else unchanged")
    assert offline_suggestion("make the umbrella blue", "A woman holds a red and white "
                              "umbrella").prompt.startswith("A woman holds a blue umbrella")
