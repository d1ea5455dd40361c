"""The words the decision policy listens for, in one place.

Templates, the offline planner and the final refinement all read an instruction the
same way: lower-cased, straight quotes, one space. Keeping the vocabulary here means a
phrase added for one rule is seen by every rule. Pure stdlib `re`; safe in the sandbox.
"""

from __future__ import annotations

import re

from workflows.decisions.scene_words import COLOURS  # "red and blue jackets" is one change

INTENSITY_WORDS = (
    "a little bit",
    "a tiny bit",
    "a wee bit",
    "a bit",
    "a little",
    "a touch",
    "a tad",
    "a hint",
    "a smidge",
    "a notch",
    "a hair",
    "slightly",
    "slight",
    "somewhat",
    "subtly",
    "subtle",
    "marginally",
    "mildly",
    "gently",
    "barely",
)
STRONG_WORDS = (
    "a lot",
    "much",
    "way",
    "far",
    "even",
    "significantly",
    "considerably",
    "dramatically",
    "noticeably",
    "really",
)


def words_alternation(words: tuple[str, ...]) -> str:
    """A regex alternation of phrases, longest first so 'a little bit' beats 'a little'."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


INTENSITY = rf"(?:(?:just |only )?(?:{words_alternation(INTENSITY_WORDS)}))"
STRONG = rf"(?:{words_alternation(STRONG_WORDS)})"
INTENSITY_RE = re.compile(rf"\b{INTENSITY}\b|\btweak|\bminor\b|\bsmall\b")
STRONG_RE = re.compile(rf"\b{STRONG}\b")

# A negation anywhere before a keyword disqualifies it ("don't make it darker").
NEGATION_RE = re.compile(r"\b(?:not|no|never|without|nor|stop|avoid)\b|n't\b"
                         r"|\b(?:dont|doesnt|didnt|isnt|wont|shouldnt|cant)\b")

# "almost exactly the same" and the like: the refinement into 0.20-0.30.
SAMENESS_RE = re.compile(
    r"\b(?:almost|nearly|virtually|practically|essentially|basically|pretty much|just about"
    r"|more or less)\s+(?:exactly\s+|completely\s+)?(?:the\s+)?(?:same|identical)\b"
    r"|\bidentical\b|\b(?:exactly|precisely) the same\b"
    r"|\bsame (?:scene|shot|clip|video|take|thing|frame|framing|composition),? (?:just|only)\b"
    r"|\bas (?:close|similar) (?:to the original )?as possible\b|\bas little as possible\b"
    r"|\bbarely (?:change|touch|alter)\b|\bminimal(?:ly)? (?:changes?|different|edits?)\b"
)

# Phrases asking to keep the rest as it is: the precise-change (low) band.
SCOPE_RE = re.compile(
    r"\b(?:keep|leave|preserve|maintain|retain)\b"
    r"|\bsame\b|\bunchanged\b|\buntouched\b|\bas (?:it )?is\b"
    r"|\b(?:everything|anything|nothing) else\b|\bthe rest\b|\bexcept\b|\bapart from\b"
    r"|\bonly\b(?! (?:slightly|a bit|a little|a touch|a tad|a hint|subtly|marginally))"
    r"|\bjust\b(?! (?:a |slightly|subtly|marginally))"
)

# Whole-clip objects: what "redo" and the templates may act on.
WHOLE = (
    r"(?:it|this|that|this one|that one|everything|all of it|the whole thing"
    r"|(?:the|this|that) (?:whole |entire |full )?(?:scene|clip|shot|video|thing|take|one|sequence"
    r"|footage|version)|(?:clip|shot|scene) \d+)"
)

# Complete-redo phrases: the high band.
REDO_RE = re.compile(
    r"\bstart (?:over|again|fresh|afresh|from scratch)\b|\bfrom scratch\b|\bfrom the ground up\b"
    r"|\b(?:something|anything) (?:(?:completely|totally|entirely|radically|very|wholly) )?"
    r"(?:different|else|new)\b"
    r"|\b(?:whole|brand|completely|totally|entirely|all|fresh) new\b"
    r"|\b(?:new|different|fresh|another) (?:take|attempt|interpretation)\b"
    r"|\b(?:another|one more) (?:go|try|attempt|version|shot)\b(?! (?:at|of) (?:the|her|his))"
    r"|\b(?:change|redo|regenerate|remake|rework) (?:absolutely )?everything\b"
    r"|\beverything different\b|\bscrap (?:it|this|that)\b|\bthrow (?:it|this|that) (?:away|out)\b"
    r"|\bhate (?:it|this|that)\b|\bre-?roll\b|\btry again\b"
    r"|\b(?:completely|totally|entirely|fully) (?:regenerate|redo|remake|recreate|rework|reimagine"
    r"|re-?do|re-?generate|change it)\b"
    rf"|^(?:please )?(?:redo|re-do|regenerate|re-generate|remake|recreate|re-create|rerender"
    rf"|re-render|reshoot|reimagine|re-imagine)(?: {WHOLE})?(?: (?:again|completely|entirely"
    r"|please|fresh|from scratch))*$"
)

# "completely different X": a significant change of X, not a redo of the whole clip.
DIFFERENT_ASPECT_RE = re.compile(
    r"\b(?:completely|totally|entirely|radically|wholly|very|drastically) different (?!"
    r"(?:scene|clip|video|shot|take|version|one|thing|idea|result|approach)\b)\w+"
    r"|\b(?:drastically|dramatically|radically|completely|totally|entirely) (?:change|alter|"
    r"transform|rework|redo|different)\w* (?:the |its |their )?\w+"
)

# Defects a "fix" is about: the very_low band when the rest is kept.
DEFECT_RE = re.compile(
    r"\b(?:glitch\w*|artifact\w*|artefact\w*|flicker\w*|blur\w*|distort\w*|warp\w*|jitter\w*"
    r"|morph\w*|deformed|malformed|mangled|melt\w*|smudge\w*|smear\w*|ghosting|seams?|noise"
    r"|stutter\w*|extra (?:finger|fingers|limb|limbs|arm|arms|hand|hands|leg|legs|head|eye|eyes)"
    r"|weird|wrong|broken|strange|odd|off|creepy|uncanny|messed up|double|duplicated?|twisted"
    r"|garbled|mutated|missing)\b"
)
FIX_VERB_RE = re.compile(r"\b(?:fix\w*|correct\w*|repair\w*|avoid\w*|clean up|get rid of)\b")
BODY_PART_RE = re.compile(
    r"\b(?:hands?|fingers?|arms?|legs?|face|faces|eyes?|teeth|mouth|feet|foot|head|body|lips"
    r"|ears?|nose|neck|limbs?)\b"
)
LOOKS_WRONG_RE = re.compile(
    r"\b(?:looks?|is|are|seems?|appears?|looking|went)\s+(?:(?:a bit|really|so|very|kind of) )?"
    r"(?:wrong|weird|off|broken|distorted|blurry|strange|odd|deformed|glitchy|melted|warped|creepy"
    r"|fake|unnatural|messed up)\b"
)
# A request to repair something, as opposed to a wanted effect ("make the sign flicker").
FIX_REQUEST_RE = re.compile(
    rf"\bavoid\w*\b"
    rf"|\b(?:fix\w*|correct\w*|repair\w*|clean up)\b"
    rf".*(?:{DEFECT_RE.pattern}|{BODY_PART_RE.pattern})"
    rf"|\b(?:remove|removing|no more|less|stop|kill|lose|get rid of)\b.*(?:{DEFECT_RE.pattern})"
    rf"|{LOOKS_WRONG_RE.pattern}"
)

# Time of day as a target; the lookahead rejects things named after it ("nightclub" is one
# word already, "daylight lamp" and "night light" are objects).
_THING_AFTER = (
    r"(?!\s*(?:club|clubs|lamp|lamps|light|lights|bulb|bulbs|stand|stands|sign|signs|gown|dress"
    r"|shirt|cream|mode|vision|shift|market|sky|skies|cap|watch|guard|owl|clerk|'s|s\b))"
)
TIME_OF_DAY_RE = re.compile(
    r"\b(?:night(?:[- ]?time)?|day(?:[- ]?time)?|daylight|sunset|sunrise|dawn|dusk|twilight"
    r"|golden hour|blue hour|morning|afternoon|evening|midnight|noon|midday)\b" + _THING_AFTER
)
TIME_CHANGE_RE = re.compile(
    r"\btime of (?:the )?day\b|\b(?:make|change|switch|turn|set|move|shift|convert|transform"
    r"|take place|happen|it'?s|to|into|at|during)\b"
)
SETTING_CHANGE_RE = re.compile(
    r"\b(?:different|new|another) (?:location|setting|environment|place|world|city|country|era"
    r"|decade|century|season|backdrop)\b"
    r"|\bchange (?:the )?(?:location|setting|environment|season|era|period|backdrop)\b"
    r"|\b(?:make it|change it to|switch to|turn it into) (?:winter|summer|autumn|fall|spring)\b"
)

# Determiners and possessives before a thing's name ("the", "her", "all the").
DETERMINERS = r"(?:(?:the|that|those|these|any|her|his|their|its|a|an|this|some|all)\s+)*"

# "get rid of it": a word that stands for a thing named elsewhere, never a thing to remove.
PRONOUNS = ("it", "them", "that", "those", "this")
# Words after "avoid"/"without"/"no" that name no thing ("without changing the rest").
NOT_A_THING_RE = re.compile(
    r"^(?:changing|altering|touching|moving|anything|everything|the rest|not|change|changes"
    r"|way|need|make|one|more|less|thanks)\b|\belse\b|^$|^(?:" + "|".join(PRONOUNS) + ")$"
)

CLAUSE_SPLIT_RE = re.compile(
    r"\s*(?:[,;]|:(?!\d|//)|\.\s|\bexcept(?: for)?\b|\bapart from\b|\bother than\b"
    r"|\band then\b|\band also\b|\band\b(?! (?:" + words_alternation(COLOURS) + r")\b)|\bbut\b|\bthen\b|\bplus\b|&|\balso\b"
    r"|\bwhile\b)\s*"
)


def normalise(text: str, lower: bool = True) -> str:
    """Lower-case, straight quotes, hyphen-free time words, "b&w" and a spaced "&" spelt
    out ("black & white" is one look, not two clauses), single spaces."""
    text = text.lower() if lower else text
    text = re.sub(r"\bb ?[&/] ?w\b", "black and white", text, flags=re.IGNORECASE)
    text = re.sub(r"\s&\s", " and ", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\b(night|day)[- ]time\b", r"\1time", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip()


def is_negated(text: str, start: int, window: int = 24) -> bool:
    """Whether a negation sits shortly before position `start` in the same clause."""
    before = re.split(r"[,;.!?]|\bbut\b", text[max(0, start - window) : start])[-1]
    return bool(NEGATION_RE.search(before))


def find_unnegated(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of `pattern` in `text` that no nearby negation cancels."""
    for match in pattern.finditer(text):
        if not is_negated(text, match.start()):
            return match
    return None


def clauses(text: str) -> list[str]:
    """An instruction split into its requested changes ("brighter and add fog" -> two)."""
    return [part.strip(" .!?") for part in CLAUSE_SPLIT_RE.split(text) if part.strip(" .!?")]


# Politeness and filler that can open a request ("please", "can you", ...): not the request.
LEAD_FILLER = (
    r"(?:please|pls|plz|ok|okay|hey|hi|so|now|kindly|maybe|actually|also|alright|right|and"
    r"|then|can you|could you|would you|will you|can we|could we|let's|lets|let us|i want you to"
    r"|i'd like you to|i would like you to|try to|go ahead and"
    # An opinion's lead: "my manager just thinks it's too bright" asks what "it's too bright" does.
    r"|i think|i feel like|honestly|tbh|imo|idk|(?:my|the|our) (?:manager|label|client|boss|team"
    r"|director|band|producer) (?:just |really |kinda )?(?:thinks?|says?|feels?)(?: that)?)"
)
LEAD_FILLER_RE = re.compile(rf"^{LEAD_FILLER}\s+")
# "tone it down" after "it's too bright": more or less of the change said beside it.
VAGUE_DEGREE_RE = re.compile(r"^(?:tone|dial|bring|take|turn|pull) (?:it|that|this|things) (?:down|back|up)"
                             r"(?: a (?:bit|notch|little|touch))?$")
