"""What the offline rules can never promise, even when they copy the words into the prompt.

The rules rewrite a prompt as a whole: time of day, light, weather, style, a thing added,
removed or recoloured. Some requests need more than that, and copying their words into
the prompt is not applying them, so the plan lists them in `unapplied` (issue #31: no
silent misses):

- timing inside the clip ("only in the last two seconds", "at the end", "halfway",
  "when the beat drops", "after the first cymbal hit");
- timing against the music ("on every beat", "lip sync to the chorus");
- exact counts and lengths ("exactly three dancers", "3 balloons", "a few seconds
  shorter");
- writing on the picture ("the words summer nights on screen", a caption, a logo);
- where people stand relative to each other ("to the left of the drummer",
  "taller than the first");
- other clips and uploaded pictures ("the colour grading of clip 2", "the photo I sent",
  "like in the original");
- an exception to a change across the whole frame ("make it night but keep the street
  lamps warm", "darker except her face", "rain but she stays dry");
- sound: the song is the user's track and the clip's own audio is not the picture
  ("the music quieter", "an acoustic version", "her lips match the lyrics", "have him
  say 'let's go'");
- editing the footage rather than generating it ("play it backwards", "loop it",
  "crop the left side", "trim", "freeze frame"), its format ("in 4k", "vertical 9:16",
  "60 fps", "use sora": a request's options, or not Retake's), and another version of
  the clip ("undo that", "the first version was better, bring that one back": `revert`).

`asks_the_system` names what is asked of the system rather than the picture, for every
planner (instructions to the system, kept out of the prompt): the settings the policy
decides ("seed 42", "temperature to 0"), errands ("email me the clip", "post it to
tiktok") and prices.

Only the rule planners are judged this way: GPT-4o writes such requests into its own
words, and the usual check of those words applies. Pure: safe in the workflow.
"""

from __future__ import annotations

import re

_NUMBER = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of)"
_TIMING = re.compile(
    r"\b(?:in|during|for|over|within) the (?:first|last|final|opening|closing|next) "
    rf"(?:{_NUMBER} )?(?:seconds?|secs?|frames?|moments?|beats?|bars?|half|part|bit)\b"
    r"|\bat the (?:very )?(?:end|start|beginning|finish|climax|drop)\b"
    r"|\b(?:halfway|midway|half-way|mid-clip|partway)\b|\bmiddle of the (?:clip|shot|video)\b"
    rf"|\bat (?:the )?{_NUMBER} ?(?:s|sec|secs|seconds?)\b|\b\d+(?:\.\d+)? ?s in\b"
    r"|\b(?:only )?(?:after|before|until|once|as soon as|right when|when|while|whenever)\s+"
    # "when she's singing" is what the clip shows throughout, not a moment in it.
    r"(?!(?:she|he|they|it|we)(?:'s|'re| is| are) \w+ing\b)"
    r"(?:the|she|he|they|it|her|his|their|we|a|an|each|every)\b"
    r"|\b(?:starts?|begins?|starting|beginning|ends?|ending|finish(?:es)?) (?:in|with|as|on|by)\b"
    r"|\bthen (?:turns?|fades?|changes?|goes|becomes?|switch(?:es)?|cuts?)\b"
    r"|\bgradually\b|\bslowly (?:turns?|fades?|becomes?)\b|\bfades? (?:in|out|to)\b"
    r"|\bthe (?:first|last|second|final|opening|closing|back) (?:half|third|quarter|few seconds)\b"
    # In time with the music: the rules write a picture, not its timing against the song.
    r"|\bon (?:every|each|the) (?:beat|bar|kick|snare|drop|downbeat|hit)\b|\bbeat[- ]?(?:sync|match)"
    r"|\blip[- ]?sync|\blips? (?:sync|move)|\bsync(?:ed|hed)?(?: up)? (?:to|with)\b"
    r"|\bmouth(?:ing)? (?:the )?(?:words|lyrics)\b|\b(?:sing|sings|singing|rapping|raps) about\b"
    r"|\b\d{1,2}:\d{2}\b",
)
_EXACT = re.compile(
    # "exactly the same" asks for a close re-take, which the rules do give.
    r"\b(?:exactly|precisely)\b(?! (?:the same|identical|like (?:it|this|before)|as before))"
    rf"|\b(?:lasts?|last for|long|longer|shorter)\b.{{0,20}}\b{_NUMBER} ?"
    r"(?:s|sec|secs|seconds?|minutes?)\b|\b\d+ ?(?:s|sec|secs|seconds?) long\b"
    rf"|\b(?:only|just) {_NUMBER} (?!seconds?\b)[a-z]+s\b"
    # A length change (the slot sets the length) and a count written as a number.
    r"|\b(?:seconds?|secs?) (?:longer|shorter)\b|\b(?:longer|shorter)\b.*\b(?:verse|chorus|song"
    r"|bars?|beat|slot|music)\b|(?<!clip )(?<!shot )(?<!scene )(?<!segment )(?<!part )"
    r"\b(?:[2-9]|[1-9]\d+) (?!(?:seconds?|secs?|s|fps|mm|k|p|am|pm)\b)(?:[a-z-]+ ){0,2}(?!pls\b)[a-z-]{3,}s\b",
)
# Writing on the picture: captions, titles, logos.
_ON_SCREEN = re.compile(
    r"\bon (?:the )?screen\b|\b(?:captions?|subtitles?|lower[- ]third|watermark|logo|title card"
    r"|credits)\b|\bin (?:big |bold |small |large )?(?:[a-z]+ )?(?:letters|font|type)\b"
    r"|\b(?:words?|text|lyrics)\b.*\b(?:appear|written|displayed|spelled)\b"
    r"|\b(?:sign|banner|poster|billboard|board|shirt|t-shirt|marquee|screen|wall|jacket|hat)\b.*"
    r"\b(?:says?|saying|reads?|reading|spells?|spelling|with the words?)\b"
    r"|\b(?:so|that|which) (?:it )?(?:says|reads|spells)\b"
    r"|\b(?:text|words?|title|caption|sign|banner|name|letters|says?|saying|reads?|reading"
    r"|written|spelling|spells?)\s*:?\s*[\"'\u2018\u201c]\w",
)
_ARRANGEMENT = re.compile(
    r"\b(?:to the |on the )?(?:left|right) (?:of|side of|hand side of)\b"
    r"|\b(?:taller|shorter|bigger|smaller|closer|nearer|further|farther|higher|lower|older|younger)"
    r" than\b|\bswap (?:places|positions|sides)\b|\bswitch (?:places|positions|sides)\b"
    # Moving who is already there is arranging; putting a new thing somewhere is not.
    r"|\b(?:move|rearrange|reposition|shift)\b.*\b(?:in front of|behind|next to|beside|between)\b"
    # Where someone already there should be, or a part of the frame only.
    r"|\b(?:should|must|needs? to|has to) (?:be )?(?:standing |sitting |placed |positioned )?"
    r"(?:behind|in front of|next to|beside|between|on top of|under)\b"
    r"|\b(?:left|right|top|bottom|upper|lower) (?:half|side|third|corner|part|edge) of the"
    r" (?:frame|screen|shot|image|picture)\b"
    r"|\b(?:in|on|at|to) the (?:top|bottom|upper|lower)(?:[- ](?:left|right))? (?:corner|edge)\b",
)
_ELSEWHERE = re.compile(
    r"\b(?:as|like|from|of|with|than) (?:in |on )?(?:clip|shot|scene) (?:\d+|one|two|three"
    r"|four|five|six|seven|eight|nine|ten)\b"
    r"|\b(?:match|matches|matching|same \w+ as)\b.*\b(?:clip|shot|scene|video|original|photo"
    r"|picture|image|reference|one)\b"
    r"|\bthe (?:photo|picture|image|pic|reference|screenshot|file|link|video|drawing|sketch)s?"
    r" (?:i|we)(?:'ve| have)? (?:sent|uploaded|shared|attached|posted|gave|linked)\b"
    r"|\b(?:in|like|from|as in) the (?:original|first version|old version|last version"
    r"|previous version)\b|\blook(?:s)? like (?:my|our|his|her|their) \w+"
    r"|https?://|\bwww\.|\b[a-z0-9-]+\.(?:com|be|net|org|io|ly|tv|co)/"
    r"|\b(?:same|this|that|it) (?:to|for|on|in|with) (?:all |every |each )?(?:of )?(?:the )?"
    r"(?:other|rest of the|remaining) (?:clips|shots|scenes|ones)\b|\bthe rest of the (?:clips|video)\b"
    # Material the rules never see, as the measure ("the red clashes with the album
    # cover" only says why).
    r"|\b(?:match|matches|matching|like|same \w+ as|as in|from|based on|inspired by)\b.*"
    r"\b(?:album|ep|single|cover art|artwork|poster|mood ?board|press photos?|brand colou?rs?"
    r"|brand guidelines|logo)\b"
    r"|\b(?:wears?|wore|wearing|has|had|looks?|looked|was|were|did|does|is|appears?|appeared"
    r"|used|uses|holds?|held) (?:\w+ )?(?:in|from|during) (?:clip|shot|scene|segment|part)"
    r" (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    # The user's own face or people: the rules know no one's likeness.
    r"|\b(?:look(?:s|ing)?|like|as) (?:me|us|myself)\b|\bput (?:me|us|myself)\b"
    r"|\bmy (?:face|likeness|selfie|own face)\b",
)
# Sound: the clip's audio and the user's song. "music video" and the players themselves
# (a bassist, a singer singing) are pictures.
_SOUND = re.compile(
    r"\b(?:music|song|soundtrack|audio|volume|vocals?|lyrics?|tempo|bpm|remix|instrumental"
    r"|reverb|sfx|sound ?effects?|sounds?(?!\s*stage)|voices?|voice-?over|dialogue|narration"
    r"|acoustic (?:version|mix|take)|bass ?boost)\b(?! ?videos?\b)"
    r"|\b(?:louder|quieter|mute|muted|unmute|silent|silence)\b(?=.*\b(?:music|song|audio|sound"
    r"|vocals?|voice|it|this|part|clip|bit)\b)|\bturn (?:it |the \w+ )?(?:up|down)\b"
    r"|\b(?:say|says|saying|shout|shouts|yell|yells|whisper|whispers|sing|sings) (?:the words? )?"
    r"[\"'\u2018\u201c]",
)
# The song named only as the measure of a mood ("too cheerful for this song").
_SONG_AS_CONTEXT = re.compile(r"\b(?:for|with|fits?|suits?) (?:a|an|the|this|my|our) (?:[a-z-]+ ){0,3}"
                              r"(?:song|music|track|tune|ballad)\b")
# Taking a thing out is a removal the rules apply, wherever it is and whatever it says.
_REMOVING = re.compile(r"^(?:please |can you |could you |just )*(?:remove|delete|erase|get rid of"
                       r"|take out|take away|lose|drop|hide|no more)\b")
# Nothing to rewrite towards: "make it better", "something feels off".
_NO_DIRECTION = re.compile(
    r"^(?:(?:can you|could you|can u|could u|u|please|just|pls) )*(?:make (?:it|this|the (?:clip|video|shot)) (?:look |feel )?"
    r"(?:better|nicer|good|great|perfect|amazing|awesome|best|more professional|more pro"
    r"|less bad|less boring|more interesting)|improve (?:it|this)|fix (?:it|this|that))"
    r"(?: (?:somehow|please|pls|a bit|overall))?$"
    r"|\bsomething (?:about it |about this |here )?(?:(?:just|kinda|really|kind of) )?"
    r"(?:feels|looks|seems|is) (?:off|wrong|weird)\b"
    r"|\bi don'?t know what(?:'s| is)? wrong\b",
)
# The policy's own settings, written as words: the seed and the randomness.
_SETTINGS = re.compile(
    r"\bseed\b|\btemperature\b(?=.{0,12}\d)|\b(?:randomness|cfg|guidance scale|negative prompt)\b"
)
# The video's format: a request's options (aspect ratio, resolution), or not Retake's.
_FORMAT = re.compile(
    r"\b(?:[248]k|1080p?|720p?|2160p?|4096|uhd|full hd|hdr)\b|\b\d+ ?fps\b|\bframe ?rate\b"
    r"|\b(?:16|9|4|3|1|21|5) ?: ?(?:9|16|3|4|1|5)\b|\baspect ratio\b|\b(?:vertical|portrait"
    r"|landscape|square)(?: \d+ ?: ?\d+)? (?:video|mode|format|orientation|for)\b|\bresolution\b"
    r"|\b(?:use|with|switch to|try|on) (?:veo ?\d|sora|runway|kling|pika|midjourney|gen-?\d"
    r"|a different model|another model|the (?:fast|quality|pro|best|cheaper?) model)\b",
)
# Another version of this clip: a revert, which `versions` and `revert` do, not a rewrite.
_VERSION = re.compile(
    r"\b(?:undo|revert|roll back|rollback|go back to (?:the )?(?:old|previous|last|original"
    r"|first|earlier|other)|restore|bring (?:back (?:that|the (?:old|first|previous|original"
    r"|last|earlier))|(?:that|it|the \w+ one) back)|back that one)\b"
    r"|\bgo back to (?:how|the way|what) it (?:looked|was|used to)|\b(?:how|the way) it (?:looked|was)"
    r" before\b|\bbefore (?:my|the|your) (?:last|latest) (?:change|edit)\b"
    r"|\b(?:first|previous|last|old|original|earlier|other) (?:version|take|one|cut|attempt)"
    r" (?:was|is|looked|felt|looks) better\b|\b(?:was|looked) better (?:before|earlier|originally)\b",
)
# Editing the footage that exists, rather than generating a new take.
_EDITING = re.compile(
    r"\b(?:backwards?|in reverse|reverse (?:it|the (?:clip|video|footage|shot)|playback)"
    r"|rewind|boomerang|loop(?:ed|ing|s)?(?! of)|crop(?:ped|ping)?|trim(?:med|ming)?"
    r"|stabili[sz]e|upscale|freeze[- ]?frame|splice|speed (?:it |the \w+ )?up"
    r"|slow (?:it|the (?:clip|video|footage)) down|play (?:it |this )?(?:faster|slower|at)\b"
    r"|\d+(?:\.\d+)?x speed|flip(?:ped)? (?:it |the (?:clip|video|shot|image|footage) )?"
    r"(?:horizontally|vertically|left to right|upside down)|mirror(?:ed)? (?:it|the (?:clip|video"
    r"|shot|image|footage))|mirror image)\b",
)
# Asked of the system, not of the picture: an errand, a price.
_ERRAND = re.compile(
    r"\b(?:email|e-mail|text|send|dm|post|upload|share|export|download|publish|tweet)"
    r" (?:me|it|this|that|them|the (?:clip|video|result|link|file|final cut|mp4))\b"
    r"|\b(?:post|upload|share|publish)(?: it)? (?:to|on) (?:my |our )?(?:tiktok|instagram|insta|ig"
    r"|youtube|twitter|facebook|socials|channel|page|story)\b"
    r"|\b(?:notify|ping|remind) me\b|\bhow much (?:does|will|would|is)\b",
)
_EXCEPTION = re.compile(
    r"\bexcept(?: for)?\b|\bapart from\b|\bbut not (?:the|her|his|their)\b"
    r"|\b(?:stays?|remains?|staying|remaining|stay as|keeps? (?:its|their|her|his))\b"
)
_KEEP_LEAD = re.compile(r"^(?:but |and |actually |still |please |just )*(?:keep|leave|preserve"
                        r"|retain|maintain|hold)\b")
# Appearance words a change across the frame (night, rain, black and white) would alter.
_APPEARANCE = re.compile(
    r"\b(?:warm|cool|cold|lit|glow\w*|bright\w*|dark\w*|shin\w*|dry|wet|clean|sharp"
    r"|colou?r\w*|red|orange|yellow|green|blue|purple|pink|white|black|gold\w*|silver|neon"
    r"|sunny|sunlit|daylight|visible|vivid|saturated|as (?:it|they) (?:is|are|was|were)"
    r"|the same|unchanged|untouched|exactly)\b|\b(?:on|off)\s*$"
)
_CHANGE_VERB = re.compile(
    r"\b(?:except(?: for)?|apart from)\s+(?:to\s+)?(?:fix|remove|get rid of|add|make|change|lose"
    r"|drop|replace|put|turn|take|delete|erase|correct|repair|clean|swap|give|smooth|sharpen)\b"
)
_SCOPE_ONLY = re.compile(r"\b(?:everything|all|the rest|anything)\b(?: else)?")


def beyond_rules(clause: str, others: list[str]) -> bool:
    """Whether `clause` asks for something the rule planners cannot express; `others`
    are the instruction's other clauses (an exception needs a change to be an exception to)."""
    text = " ".join(clause.lower().split())
    removing = _REMOVING.search(text)
    if not removing and (_ARRANGEMENT.search(text) or _ON_SCREEN.search(text)):
        return True
    if (_TIMING.search(text) or _EXACT.search(text)
            or _SOUND.search(_SONG_AS_CONTEXT.sub("", text)) or _NO_DIRECTION.search(text)
            or _EDITING.search(text) or _FORMAT.search(text) or _VERSION.search(text)):
        return True
    if _ELSEWHERE.search(text):
        return True
    return _is_exception(text) and any(o.strip() for o in others)


def asks_the_system(clause: str) -> bool:
    """Whether `clause` asks the system for a setting, an errand or a price rather than
    the picture ("seed 42", "email me the clip", "how much will it cost"): no
    planner applies it, and it is kept out of the prompt."""
    text = " ".join(clause.lower().split())
    return bool(_SETTINGS.search(text) or _ERRAND.search(text))


def _is_exception(text: str) -> bool:
    """'except her face', 'the headlights should stay off', 'keep the lamps warm'."""
    if _SCOPE_ONLY.search(text) and not re.search(r"\bexcept\b", text):
        return False
    if re.search(r"\bexcept(?: for)?\b|\bapart from\b|\bbut not (?:the|her|his|their)\b", text):
        # "identical except fix the face": the change itself, not an exception to one.
        return not _CHANGE_VERB.search(text)
    return bool((_EXCEPTION.search(text) or _KEEP_LEAD.match(text)) and _APPEARANCE.search(text))
