"""Chat kept out of the Veo prompt: what a user types to a person, not a scene.

Users write to the chatbot as to a friend ("warmer colours pls", "slow motion!! 🔥",
"thank you so much this is looking amazing 😊 ok one more thing, dusk instead"); the
offline planner copies a clause it cannot rewrite into the prompt as written, and Veo
then reads "pls", emoji and "thank you so much" as part of the scene. `without_chat`
takes out, from what a planner added to the prompt, the words of chat (politeness,
laughter, slang fillers), emoji, question and exclamation marks, and clauses that are
only praise or chat ("love it so far", "great job"). Text already in the original prompt
is never touched. Pure stdlib `re`: safe in the workflow.
"""

from __future__ import annotations

import re

_CHAT_WORDS = (
    r"please|pls|plz|pleas+e+|thanks(?: a (?:ton|lot|bunch|million))?|thank you(?: so much| very much)?|thx|ty|tysm|lol|lmao"
    r"|lmfao|rofl|haha\w*|hehe\w*|omg|tbh|ngl|rn|btw|fr|imo|idk|honestly|x+|xo(?:xo)*"
)
_CHAT_WORD_RE = re.compile(rf"(?<![\w'])(?:{_CHAT_WORDS})(?![\w'])", re.IGNORECASE)
# Pictographs, dingbats, flags, skin tones, the variation selector and zero-width joiner.
_EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f1e6-\U0001f1ff]+"
)
_MARKS_RE = re.compile(r"\s*[?!]+(?!\w)")  # not inside a word or link
_PRAISE = (
    r"(?:(?:hey|hi|hello|ok|okay|oh|ah|hmm+|so|and|but|wow|yay|omg|oh my god|seriously|really"
    r"|first off|this is|it's|its|it is|that's|thats|you|u|i)\s+)*"
    r"(?:love it|loving it|love (?:this|the)(?: clip| one| shot| video)?|looks? (?:so |really"
    r" |super )?(?:great|amazing|good|awesome|perfect|fire|sick)|looking (?:so |really )?"
    r"(?:great|amazing|good|awesome)|(?:great|good|amazing|awesome|nice) (?:job|work)"
    r"|so+ close|almost there|nearly there|one more thing|you're the best|ur the best|perfect"
    r"|amazing|awesome|nice|great|cool|hey|hi|hello|ok|okay|hmm+)"
    r"(?:\s+(?:so far|already|honestly|though|btw|overall|now|ok|okay))*"
)
# A clause of praise or greeting alone, one or more ("this is looking amazing ok one more thing").
_PRAISE_RE = re.compile(rf"^{_PRAISE}(?:\s+{_PRAISE})*$", re.IGNORECASE)
_SEGMENT_RE = re.compile(r"[^,;.]+")


def without_chat(prompt: str, original: str) -> str:
    """`prompt` with chat taken out of what was added to `original` (never of `original`'s
    own words); the prompt unchanged when nothing was added."""
    kept = original.lower()

    def added(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0).lower() in kept else ""

    text = _EMOJI_RE.sub(added, prompt)
    # A mark between two requests ends one: "feels off?? can u" keeps a comma there.
    text = _MARKS_RE.sub(lambda m: added(m) or ("," if m.string[m.end():].strip()[:1].isalnum()
                                                 else ""), text)
    text = _CHAT_WORD_RE.sub(added, text)
    text = _SEGMENT_RE.sub(
        lambda m: "" if _PRAISE_RE.match(m.group(0).strip()) and m.group(0).strip().lower()
        not in kept else m.group(0), text)
    return prompt if text == prompt else _tidy(text)


def _tidy(text: str) -> str:
    """One space, no empty clauses: ", ," and " ." left where words were taken out."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,;.])", r"\1", text)
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)
    text = re.sub(r"[,;]\s*\.", ".", text)
    return text.strip(" ,;")
