"""What one requested change is: a template, a time of day, a removal, a swap, weather,
an addition, a style, lighting, a camera move, an action, or a plain description.

Each kind is read from a few verbs and the scene vocabulary (scene_words.py), never from
whole sentences: "lose the crowd", "get rid of the crowd" and "no crowd" are one removal.
The prompt is consulted only to tell a swap ("make the hat a beanie": there is a hat)
from a description. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from workflows.decisions.phrases import (
    DEFECT_RE,
    DETERMINERS,
    INTENSITY,
    LEAD_FILLER_RE,
    NOT_A_THING_RE,
    PRONOUNS,
    TIME_CHANGE_RE,
    TIME_OF_DAY_RE,
    clauses,
    find_unnegated,
    normalise,
)
from workflows.decisions.prompt_edits import attribute_class, locate
from workflows.decisions.scene_words import (
    CAMERA_MOVE_RE,
    CAMERA_RIG_RE,
    CLOTHING_RE,
    COLOURS,
    COMPARATIVE_BASE,
    LIGHT_QUALITIES,
    LIGHT_RE,
    MEDIUM_STYLES,
    MOOD_RE,
    ON_A_PERSON_RE,
    PEOPLE_RE,
    STYLE_GROUPS,
    STYLE_RE,
    WEATHER,
    WEATHER_RE,
)
from workflows.decisions.templates import find_template

# The band each kind of change has on its own (intensity and scope words adjust it).
KIND_BANDS = {
    "remove": "low",
    "swap": "low",
    "attribute": "low",
    "wear": "low",
    "time": "medium_high",
    "style": "medium_high",
}

_DET = DETERMINERS
_REMOVE_RE = re.compile(
    r"^(?:remove|lose|delete|erase|ditch|eliminate|get rid of|take away|take out|clear away"
    rf"|clear out|cut out|drop|no|no more|without)\s+{_DET}(?P<x>.+)$"
    rf"|^take\s+{_DET}(?P<y>.+?)\s+(?:out|away|off)\b.*$"
    r"|^(?:she|he|they|it|there|the \w+)\s+(?:shouldn't|should not|mustn't|must not|can't"
    r"|cannot|doesn't need to|don't need to)\s+(?:be\s+)?(?:holding|hold|have|having|wear"
    rf"|wearing|carry|carrying|with|in|any)?\s*{_DET}(?P<z>.+)$"
)
_REMOVE_STOP_RE = re.compile(rf"^stop\s+{_DET}(?P<x>.+)$")  # only weather: "stop the rain"
_THING_TAIL = re.compile(
    r"\s+(?:from|on|off|out of|at|in the background|behind|around|near|anymore|any more"
    r"|please|entirely|completely|altogether|so|for|in|that|which)\b.*$"
)

_INSTEAD_RE = re.compile(r"^(?P<new>.+?)\s+instead of\s+(?P<old>.+)$")
_REPLACE_RE = re.compile(
    r"^(?:replace|swap|switch|exchange|trade|substitute)\s+(?P<old>.+?)\s+(?:with|for)\s+(?P<new>.+)$"
)
_CHANGE_TO_RE = re.compile(
    r"^(?:change|switch|turn|convert|transform|make|recolou?r|paint|dye)\s+(?P<old>.+?)\s+"
    r"(?:to|into)\s+(?:be\s+)?(?P<new>.+)$"
)
_SHOULD_BE_RE = re.compile(
    r"^(?P<old>(?:the|her|his|their|its)\s+.+?)\s+(?:should|could|must|needs to|has to)\s+"
    # "should look into the camera" is an action, not what the thing looks like.
    r"(?:be|look|become)\s+(?P<new>(?!(?:into|at|to|toward|towards|away|back|up|down|over"
    r"|around|through|straight|directly|out|off|in)\b).+)$"
)
_MAKE_RE = re.compile(r"^(?:make|turn|paint|dye|colou?r|have|get)\s+(?P<rest>.+?)(?:\s+instead)?$")
_WEAR_RE = re.compile(
    r"^(?:make|have|let|get)\s+.+?\s+wear\s+(?P<new>.+)$"
    r"|^put\s+(?:her|him|them|the \w+)\s+in\s+(?P<new2>.+)$"
    r"|^dress\s+.+?\s+(?P<as>as|in)\s+(?P<new3>.+)$"
)
_NEW_LEAD_RE = re.compile(
    r"\b(?:be|play|playing|use|using|wear|wearing|hold|holding|ride|riding|read|say|show"
    r"|give (?:her|him|them|it)|put (?:her|him|them|it)|with|have)\s+"
)
_ADD_RE = re.compile(
    r"^(?:add|put|place|hang|include|throw in|bring in|bring|show|stick|draw|paint|insert"
    r"|give (?:her|him|them|it|the \w+)|can we get|could we get|get)\s+(?P<x>.+)$"
    r"|^fill\s+(?P<place>.+?)\s+with\s+(?P<y>.+)$"
)
_ADD_TAIL = re.compile(r"\s+(?:to|in|into) (?:this|it|the (?:scene|shot|clip|video|frame))$")
_SOME = re.compile(r"^(?:some|a few|a bit of|a little|a touch of|lots of|a lot of|more)\s+")
_LEAD_VERBS = re.compile(
    # Whole words only: "tone it down" once lost its "to" ("ne it down").
    r"^(?:(?:can|could|would|will) (?:you|we) )?(?:please )?(?:(?:make|let|have|get|turn|give|i want"
    r"|i'd like|i would like|we need|i need|can|could|should|add|throw in|bring in|render|do"
    r"|set|go for|try|use|switch to|change to|shoot it|film it)\b)?\s*"
    r"(?:(?:it|this|everything|the (?:scene|shot|clip|video|sky|look|style|weather))\b)?\s*"
    r"(?:(?:look|feel|seem|be|into|to|as|in)\b)?\s*(?:(?:like|a bit|more)\b)?\s*"
)
_STYLE_KEEP_LAST = re.compile(
    r"(?:style|look|aesthetic|art|painting|grain|animation|footage|film|effect|filter|video"
    r"|tape|render|sketch|illustration|feel|vibe)$"
)
_LIGHT_CHANGE_RE = re.compile(
    r"\b(?:change|switch|make|adjust|use|go for|give it|different|new|relight|tweak|set)\b"
    r"|\b(?:softer|warmer|cooler|colder|harsher|moodier|gentler|more dramatic|more natural)\b"
)
_LIGHT_WITH_RE = re.compile(
    r"^(?P<back>back)?light (?:it|her|him|them|the \w+) (?:with|by) (?P<x>.+)$"
)
_ACTION_RE = re.compile(
    r"^(?:have|make|let|get)\s+(?P<subj>(?:the|her|his|their)\s+[\w']+)\s+"
    r"(?!(?:be|look|more|less|a|an|the|bigger|smaller)\b)(?P<vp>[a-z]+\b.*)$"
)
_CONTINUATION_RE = re.compile(
    r"^(?:go for|going for|aim for|more like|like|something)\s+(?P<x>.+)$"
)


@dataclass(frozen=True)
class Change:
    """One requested change: its kind, what it says now, what it replaces, and its band."""

    kind: str
    new: str = ""  # the words the prompt should now carry (lower-case; the caller re-cases)
    old: str = ""  # what is removed or replaced
    detail: str = ""  # template id, weather kind, style groups, "people", "quality", ...
    band: str = ""  # empty: the kind's own band (KIND_BANDS, else moderate)


def _strip_det(text: str) -> str:
    return re.sub(rf"^{_DET}", "", text.strip(" .!?,")).strip()


def clean_thing(text: str) -> str:
    """'the logo on his shirt' -> 'logo'; "the dancers' outfits" -> 'outfits'."""
    thing = _strip_det(text)
    thing = _THING_TAIL.sub("", thing)
    thing = re.sub(r"^[\w-]+'s?\s+(?=\w)", "", thing)  # the owner goes, the thing stays
    thing = re.sub(r"\s+(?:colou?r|style|length|shade)$", "", thing)
    return thing.strip()


def time_target(clause: str) -> str | None:
    """The time of day a clause moves the clip to ("sunset" in "change it to sunset")."""
    clause = re.sub(r"\btime of (?:the )?day\b", " ", clause)
    match = find_unnegated(TIME_OF_DAY_RE, clause)
    if match and TIME_CHANGE_RE.search(clause):
        return match.group(0)
    return None


def _removal(clause: str) -> Change | None:
    match = _REMOVE_RE.match(clause)
    thing = ""
    if match:
        thing = match["x"] or match["y"] or match["z"] or ""
    else:
        stop = _REMOVE_STOP_RE.match(clause)
        if stop and any(p.fullmatch(clean_thing(stop["x"])) for p in WEATHER_RE.values()):
            thing = stop["x"]
    thing = clean_thing(thing)
    if not thing or NOT_A_THING_RE.search(thing) or len(thing.split()) > 4:
        return None
    return Change("remove", old=thing)


# "the rain is too much, get rid of it": the complaint names what "it" is.
_TOO_MUCH = re.compile(r"^(?:the |that |this |all (?:the |that |this )?)(?P<thing>[a-z][a-z -]*?) "
                       r"(?:is|are|'s) (?:(?:way|just|a bit|kinda|far|so|really) )*too "
                       r"(?:much|heavy|strong|intense|busy|distracting|many|thick|loud|big)$")
_IT_REMOVED = re.compile(r"^(?P<lead>.*\b(?:get rid of|remove|lose|drop|cut|take out|delete|erase))"
                         r" (?:it|them|that|those)$")


def resolved_clauses(parts: list[str]) -> list[str]:
    """Clauses with a complaint folded into the removal of 'it' that follows it."""
    parts = list(parts)  # the caller's list stays as it was
    out: list[str] = []
    for n, clause in enumerate(parts):
        complaint = _TOO_MUCH.match(LEAD_FILLER_RE.sub("", clause))
        after = _IT_REMOVED.match(parts[n + 1]) if complaint and n + 1 < len(parts) else None
        if complaint and after:
            parts[n + 1] = f"{after['lead']} the {complaint['thing']}"
            continue
        out.append(clause)
    return out


def removed_things(instruction: str) -> list[str]:
    """What the instruction asks to take out of the clip ("lose the crowd" -> "crowd")."""
    found = []
    for clause in resolved_clauses(clauses(normalise(instruction))):
        change = _removal(LEAD_FILLER_RE.sub("", clause))
        if (change is not None and not DEFECT_RE.search(change.old)
                and change.old not in PRONOUNS):
            found.append(change.old)
    return found


def new_value(text: str) -> str:
    """What a clause says the thing becomes: 'can she play a violin' -> 'a violin'."""
    match = _NEW_LEAD_RE.search(text)
    value = text[match.end() :] if match else text
    value = re.sub(r"^(?:on|in|with|into|to)\s+", "", value)
    return re.sub(r"\s+(?:instead|please|too|as well)$", "", value).strip()


def _swap(clause: str, prompt: str) -> Change | None:
    for pattern in (_INSTEAD_RE, _REPLACE_RE, _CHANGE_TO_RE, _SHOULD_BE_RE):
        match = pattern.match(clause)
        if not match:
            continue
        old, new = clean_thing(match["old"]), match["new"].strip()
        if pattern is _INSTEAD_RE:
            new = new_value(new)
        # "change the dress to red instead of it": "instead of it" names no second thing.
        new = re.sub(r"\s+(?:instead(?:\s+of\s+(?:it|this|that))?|please)$", "", new)
        if old in ("it", "this", "that", "everything") or re.search(r"\bthan\b", new):
            continue  # "taller than the first" compares two things: nothing is replaced
        if pattern is _SHOULD_BE_RE and _describes_only(new):
            continue  # "the singer should look happier": how it looks, not a new thing
        if locate(prompt, old) is not None:
            return _as_swap(old, new, clause)
        if pattern is _REPLACE_RE:  # nothing to replace: the new thing is what is asked for
            return Change("describe", new=new, band="low")
    return None


def _describes_only(value: str) -> bool:
    """A bare word that is not a colour ('happier', 'sad'), or 'more ...': a quality."""
    words = value.split()
    return bool(re.match(r"(?:more|less|much|a bit|a little|slightly|very|really|so|too)\b",
                         value)) or (len(words) == 1 and words[0] not in COLOURS)


# What a whole clip has rather than one thing in it: changing it is not a precise change.
_WHOLE_CLIP_ASPECT = re.compile(
    r"\b(?:it|this|that|everything|mood|look|style|feel|vibe|atmosphere|tones?|colou?rs?|palette"
    r"|grade|lighting|light|camera|weather|setting|location|season|era|time|background|scene"
    r"|music|pace|energy|angle|shot)\b"
)


def _unplaced_change(clause: str) -> Change | None:
    """'change the sign text to OPEN' when the prompt names no sign: a precise change, said."""
    match = _CHANGE_TO_RE.match(clause)
    if match is None or _WHOLE_CLIP_ASPECT.search(match["old"]):
        return None
    return Change(
        "describe", new=f"{clean_thing(match['old'])} changed to {match['new']}", band="low"
    )


def _as_swap(old: str, new: str, clause: str = "") -> Change:
    # Swapping a light or a camera move is a lighting or camera change, not a precise one.
    said = f"{clause} {old} {new}"
    band = "moderate" if any(r.search(said) for r in (LIGHT_RE, CAMERA_RIG_RE)) else ""
    one = re.match(rf"^{_DET}(?P<adj>.+?)\s+one$", new)
    if one:  # "a leather one": the new attribute on the old thing
        if attribute_class(one["adj"].split()):
            return Change("attribute", new=one["adj"], old=old, band=band)
        return Change("swap", new=f"{one['adj']} {old}", old=old, band=band)
    if attribute_class(new.replace(" and ", " ").split()):
        return Change("attribute", new=new, old=old, band=band)
    return Change("swap", new=new, old=old, band=band)


def _make_attribute(clause: str, prompt: str) -> Change | None:
    match = _MAKE_RE.match(clause)
    if not match:
        return None
    words = match["rest"].split()
    if not words or words[0] not in ("the", "her", "his", "their", "its"):
        return None
    unplaced: Change | None = None
    for split in range(len(words) - 1, 1, -1):
        thing, new = clean_thing(" ".join(words[:split])), " ".join(words[split:])
        is_attribute = attribute_class(new.replace(" and ", " ").split()) is not None
        if locate(prompt, thing) is None:
            # "make his shirt purple and blue", no shirt yet: the shortest thing whose
            # words after it are all attributes, so "purple and" is not read as the thing
            # (the longest-first loop used to stop at 'shirt purple and' / 'blue').
            if is_attribute:
                unplaced = Change("attribute", new=new, old=thing)
            continue
        if is_attribute or re.match(r"(?:a|an|the|some)\s", new):
            return _as_swap(thing, new)
    return unplaced


def _wear(clause: str) -> Change | None:
    match = _WEAR_RE.match(clause)
    if not match:
        return None
    new = (match["new"] or match["new2"] or match["new3"]).strip()
    if match["as"] == "as":
        return Change("wear", new=f"dressed as {new}", detail="as")
    return Change("wear", new=new)


def _weather(clause: str) -> Change | None:
    kind = next((k for k, p in WEATHER_RE.items() if p.search(clause)), None)
    if kind is None:
        return None
    phrase = _LEAD_VERBS.sub("", clause, count=1)
    phrase = _SOME.sub("", _ADD_TAIL.sub("", phrase))
    phrase = re.sub(r"\s+(?:would be nice|would be great|please|too)$", "", phrase).strip()
    if len(phrase.split()) <= 1 or not WEATHER_RE[kind].search(phrase):
        phrase = WEATHER[kind][2]
    return Change("weather", new=phrase, detail=kind)


def _style(clause: str) -> Change | None:
    if not STYLE_RE.search(clause):
        return None
    groups = [
        name for name, (words, _) in STYLE_GROUPS.items() if re.search(rf"\b(?:{words})\b", clause)
    ]
    phrase = _LEAD_VERBS.sub("", clause, count=1)
    phrase = re.sub(rf"^(?:{INTENSITY}\s+(?:of\s+)?)", "", phrase)
    phrase = _strip_det(re.sub(r"^(?:in )?the style of\s+", "", phrase))
    phrase = re.sub(r"\s+(?:please|instead)$", "", phrase)
    if not _STYLE_KEEP_LAST.search(phrase):
        phrase += " atmosphere" if MOOD_RE.search(phrase) else " style"
    band = "medium_high" if MEDIUM_STYLES.intersection(groups) else "moderate"
    return Change("style", new=phrase, detail=",".join(groups), band=band)


def _lighting(clause: str) -> Change | None:
    with_light = _LIGHT_WITH_RE.match(clause)
    if with_light:
        return Change("lighting", new=f"{with_light['back'] or ''}lit by {with_light['x']}")
    if not (LIGHT_RE.search(clause) and _LIGHT_CHANGE_RE.search(clause)):
        return None
    words = [COMPARATIVE_BASE.get(w, w) for w in re.findall(r"[a-z-]+", clause)]
    span = re.search(r"\b(?:to(?: be)?|for|into)\s+(?P<x>.+)$", clause)
    quality = [w for w in words if w in LIGHT_QUALITIES or w in COLOURS]
    if span and not all(COMPARATIVE_BASE.get(w, w) in LIGHT_QUALITIES for w in span["x"].split()):
        phrase = span["x"]
        if not re.search(r"\b(?:light|lighting|lights|glow)$", phrase):
            phrase += " lighting"
        return Change("lighting", new=phrase)
    return Change("lighting", new=" ".join(dict.fromkeys(quality)), detail="quality")


def _camera(clause: str) -> Change | None:
    if not (CAMERA_RIG_RE.search(clause) or CAMERA_MOVE_RE.search(clause) or "camera" in clause):
        return None
    verb = CAMERA_MOVE_RE.match(clause)
    if verb:
        word = verb.group(0).split()[0]
        ending = "es" if re.search(r"(?:s|sh|ch|x|o)$", word) else "s"
        return Change("camera", new=f"the camera {word}{ending}{clause[len(word) :]}")
    phrase = _LEAD_VERBS.sub("", clause, count=1)
    phrase = _strip_det(re.sub(r"^(?:put|place|mount|set)\s+(?:the\s+)?", "", phrase))
    if not re.search(
        r"\b(?:shot|camera|cam|angle|pans?|zooms?|glide|orbit|dolly-in|push-in)\b", phrase
    ):
        phrase += " camera"
    return Change("camera", new=phrase)


def _given_attribute(clause: str, phrase: str, prompt: str) -> Change | None:
    """'give her pink hair' when she has hair: the hair's colour changes, nothing is added."""
    if not clause.startswith("give "):
        return None
    words = _strip_det(phrase).split()
    for split in range(1, len(words)):
        thing, new = " ".join(words[split:]), " ".join(words[:split])
        if attribute_class(new.split()) and locate(prompt, thing) is not None:
            return Change("attribute", new=new, old=thing)
    return None


def _addition(clause: str, prompt: str) -> Change | None:
    match = _ADD_RE.match(clause)
    if not match:
        return None
    phrase = (match["x"] or match["y"]).strip()
    phrase = _SOME.sub("", _ADD_TAIL.sub("", phrase))
    given = _given_attribute(clause, phrase, prompt)
    if given is not None:
        return given
    if match["place"]:
        return Change("add", new=phrase, detail="people" if PEOPLE_RE.search(phrase) else "")
    if STYLE_RE.search(phrase) and re.search(
        r"\b(?:grain|look|style|filter|effect|tint)\b", phrase
    ):
        return None  # "add film grain": a style
    if CAMERA_RIG_RE.search(phrase) or "camera" in phrase:
        return None
    if ON_A_PERSON_RE.search(phrase):
        return Change("add", new=phrase, detail="on_person", band="low")
    return Change("add", new=phrase, detail="people" if PEOPLE_RE.search(phrase) else "")


def _action(clause: str, prompt: str) -> Change | None:
    match = _ACTION_RE.match(clause)
    if not match:
        return None
    subject = clean_thing(match["subj"])
    if CLOTHING_RE.search(subject) or locate(prompt, subject) is None:
        return None
    return Change("action", new=match["vp"], old=subject)


def describe(clause: str) -> Change:
    """A change no rule can express: said as a description, in the user's words."""
    phrase = _LEAD_VERBS.sub("", clause, count=1).strip() or clause
    return Change("describe", new=phrase)


def read_change(clause: str, prompt: str) -> Change:
    """The kind of one change (a clause of the instruction) and what it asks for."""
    template = find_template(clause)
    if template is not None:
        return Change("template", detail=template.id, band=template.band)
    target = time_target(clause)
    if target is not None:
        return Change("time", new=target, band="medium_high")
    change = (
        _removal(clause)
        or _swap(clause, prompt)
        or _wear(clause)
        or _weather(clause)
        or _addition(clause, prompt)
        or _style(clause)
        or _lighting(clause)
        or _camera(clause)
        or _make_attribute(clause, prompt)
        or _unplaced_change(clause)
        or _action(clause, prompt)
        or describe(clause)
    )
    return replace(change, band=change.band or KIND_BANDS.get(change.kind, "moderate"))


def continuation(clause: str) -> str | None:
    """'go for red', 'moody', 'like a daydream': more words for the change before it."""
    match = _CONTINUATION_RE.match(clause)
    if match:
        return match["x"]
    words = clause.split()
    if 0 < len(words) <= 2 and all(
        COMPARATIVE_BASE.get(w, w) in LIGHT_QUALITIES or w in COLOURS for w in words
    ):
        return clause
    return None


def replaced_by(clause: str) -> str | None:
    """'not a bicycle' after 'she should be on a skateboard': the old thing of a swap."""
    match = re.match(rf"^(?:and\s+)?not\s+{_DET}(?P<old>.+)$", clause)
    return clean_thing(match["old"]) if match else None
