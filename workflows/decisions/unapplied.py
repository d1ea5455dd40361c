"""What a plan did not express of the instruction, so nothing is missed silently.

Every planner (template, offline rules, GPT-4o) is checked the same way after it wrote
its prompt: each clause of the instruction must show in the new prompt (its words
there, a removed thing gone or named in the negative prompt, a kept thing still there),
or it is listed in the plan's `unapplied` with why. Two kinds are never applied:
text in a language the rules do not read (unless an LLM planner wrote the prompt), and
text that reads as instructions to the system (pasted "ignore previous instructions"):
both are taken out of the prompt if a planner copied them in. Pure: safe in the workflow.
"""

from __future__ import annotations

import re

from workflows.decisions.beyond_rules import asks_the_system, beyond_rules
from workflows.decisions.continuity import KEEP_AS_IS, read_continuity, without_continuity_words
from workflows.decisions.phrases import (
    CLAUSE_SPLIT_RE,
    VAGUE_DEGREE_RE,
    clauses,
)
from workflows.decisions.word_match import (
    bare,
    colour_contradicted,
    content_words,
    negated_in,
    shows,
    stems,
)
from workflows.models import UnappliedPart

NOT_EXPRESSED = "not_expressed"
OTHER_LANGUAGE = "other_language"
INSTRUCTIONS_TO_SYSTEM = "instructions_to_system"

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules|prompts?"
    r"|guidelines|above|previous|prior|everything)\b"
    r"|\bsystem (?:prompt|message|instructions?)\b|\bdeveloper mode\b|\bjailbreak\b"
    r"|\byou are (?:now )?(?:an? |chatgpt|gpt|the assistant|dan\b)|\bact as\b|\bpretend (?:to be|you)\b"
    r"|\b(?:reveal|print|output|show|leak|repeat)\b.{0,30}\b(?:prompt|instructions|api key|secrets?"
    r"|password|credentials|keys?)\b|\bapi[_ ]?key\b|</?(?:system|assistant|user)>|\bnew instructions\b"
    r"|\b(?:confirm|approve|charge|pay)\b.{0,30}\bwithout (?:asking|confirmation|consent)\b"
    # A role written into the text ("assistant: ...", "</prompt>"), a new role for the
    # system, a task that is not a video, or a claim of consent or of a free run.
    r"|(?:^|[\s>\]#])(?:system|assistant|developer|admin)\s*:|</?\s*(?:prompt|system|assistant"
    r"|user|instructions?|context)\s*>|\byou are no longer\b|\bfrom now on,? you\b"
    r"|\bforget (?:the clip|the video|your|all|everything|the rules|the above|what)\b"
    r"|\bwrite (?:me )?(?:a|an|some) (?:poem|story|essay|joke|email|letter|song|code|script)\b"
    r"|\b(?:already|has|have) (?:been )?(?:approved|confirmed|authori[sz]ed|paid)\b"
    r"|\bpre-?(?:approved|authori[sz]ed|paid|confirmed)\b|\b(?:don'?t|do not|never) (?:charge|bill)\b"
    r"|\bi'?m (?:the|an) (?:admin|administrator|developer|owner|operator)\b|\byou are now\b"
    r"|\bno (?:content )?(?:limits|filters|restrictions|rules|guardrails)\b"
    r"|\bat no (?:cost|charge)\b|\bfree of charge\b|\b(?:regenerate|redo|re-?do|apply (?:it |this )?"
    r"to|do) (?:clips? \d+ (?:through|to|-|and) \d+|all (?:the )?(?:other )?clips|every (?:other )?clip"
    r"|(?:the )?other clips)\b"
    r"|\b(?:skip|bypass|disable|turn off|ignore) (?:the |any |all |your )?(?:safety|content"
    r"|moderation|filters?|checks?|confirmation|budgets?|limits?|review)\b"
    r"|\bfor free\b|\bwithout (?:paying|charging|charge)\b"
    r"|\b(?:should|would|will|must) be free\b|\b(?:is|it's|its|this is|that's) free\b"
    r"|\bon (?:the|a|my) (?:pro|premium|paid|business|enterprise|unlimited) (?:plan|tier|account)\b"
    r"|\b(?:my|the) (?:plan|subscription) (?:includes|covers)\b|\b(?:refund|credit) (?:me|my)\b"
    r"|\b(?:proceed|continue|go ahead|regenerate|apply (?:it|this)?) (?:with |to )?(?:all|every)"
    r" (?:the )?(?:clips|clip|videos|jobs)\b",
    re.IGNORECASE,
)
_ACCENTED = re.compile(r"[àâäçèéêëìîïòôöùûüÿñßæœãõ]")
_NON_LATIN = re.compile(r"[\u0370-\u1fff\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]")
_FOREIGN_WORDS = frozenset(
    "und der die das den dem mach mache machen es ist nicht bitte mit ein eine einen heller "
    "dunkler füge hinzu aber noch mehr weniger sehr auch oder zu im am vom zum "
    "le la les et avec une des du plus moins très fais faire rends mettre ajoute enlève "
    "el los las más menos muy hazlo haz pon quita agrega añade por favor con sin pero "
    "il lo più meno rendi aggiungi togli della delle "
    "het een maak meer minder "
    # More of each, as end users write them (function words and the commonest requests).
    "nachts nacht regen nebel soll sollen bleiben bleibt machen sie ihr "
    "scène rendez faites nuit pluie brouillard vous plaît s'il lumineuse lumineux sombre "
    "fai fate sulla sul nella nello notte pioggia nebbia favore per che più "
    "noche lluvia niebla que sea hacer ponlo "
    "faça deixe mais noite chuva névoa com sem uma "
    # Commoner still: articles, "please" and "very" as typed, colour, cold and warm.
    "de des au aux stp svp merci couleurs couleur chaud chaude froid froide lumière ciel "
    "ta tá está muito frio deixa cores quentes quente fica ficar isso mesmo obrigado "
    "del muy colores cálido frío luz cielo gracias hace esta este "
    "colori caldo freddo luce cielo grazie molto questo questa "
    "bitte farben kalt licht himmel danke sehr dieser diese etwas "
    # Hindi and Urdu as typed in Latin letters (Hinglish), the commonest request words.
    "isko isse yeh thoda thodi aur karo kar kardo bohot bahut zyada kam lag raha rahi "
    "hai hain nahi yaar bhai accha acha wala wali sab".split()
)
_ENGLISH_WORDS = frozenset(
    "the it a an and make to of with more less in on at her his their add remove change "
    "keep please is be bit little slightly very much same but".split()
)
_SCOPE_ONLY = re.compile(
    r"^(?:keep|leave|preserve)?\s*(?:everything|all|the rest|anything)\s*(?:else)?\s*"
    r"(?:the same|same|unchanged|as is|as it is|untouched|alone)?$|^(?:nothing else|that'?s it"
    r"|thanks?(?: you)?|ok|okay)$"
)
_REMOVAL = re.compile(
    r"(?:^|\b)(?:take (?:\w+ ){1,3}out of|shouldn't|should not|remove|delete|erase|drop|lose|cut|take out|take away|get rid of|no more|no|without"
    r"|don't show|do not show|hide|fix|correct|repair|less|fewer|reduce|tone down|not so"
    r"|stop|don't|dont|do not|not|never|avoid)\b\s*(.*)$"
)
# The current state, complained of: the change is its opposite.
_COMPLAINT = re.compile(r"^(?:(?:it|this|that|the \w+)(?:'s| is| are| looks| feels| seems)? )?(?:(?:way|a bit"
                        r"|kinda|just|far|much|so|really|a little|slightly|little) )*too (?P<what>[a-z]+)$")
_KEEP = re.compile(r"^(?:keep|leave|preserve|retain|maintain)\b\s*(.*)$")
_BOILERPLATE = frozenset({"every", "else", "uncha"})


def unapplied_parts(
    instruction: str, old_prompt: str, new_prompt: str, negative_prompt: str | None,
    *, llm: bool = False, joined: str | None = None, clip_index: int | None = None,
) -> list[UnappliedPart]:
    """Each part of `instruction` the new prompt does not express, with why. `joined` is
    the continuity the plan's frames give ("none" .. "both"; None: no frames were read):
    a request to join a neighbour is applied there, not in the prompt."""
    found: list[UnappliedPart] = []
    parts = _parts(instruction)
    changes = [p for p in parts if not _SCOPE_ONLY.match(bare(p))]
    single = len(changes) <= 1
    for whole in parts:
        asks = read_continuity(whole, clip_index)
        clause = whole
        if asks != "none":
            if joined not in (asks, "both"):  # asked, but no frame joins it: say so
                found.append(UnappliedPart(text=whole, reason=NOT_EXPRESSED))
                continue
            clause = without_continuity_words(whole, clip_index)  # the rest, as usual
            if clause == KEEP_AS_IS:
                continue
        if llm and _foreign(clause) and not _INJECTION.search(clause):
            # GPT-4o reads other languages: only text it copied untranslated is left out.
            if clause.lower() in new_prompt.lower():
                found.append(UnappliedPart(text=clause, reason=OTHER_LANGUAGE))
            continue
        why = _refused(clause, llm=llm)
        if why is None and not llm and beyond_rules(clause, [c for c in changes if c != clause]):
            why = NOT_EXPRESSED
        if why is None and not _expressed(clause, old_prompt, new_prompt, negative_prompt,
                                          single=single):
            why = NOT_EXPRESSED
        if why is not None:
            found.append(UnappliedPart(text=clause, reason=why))
    return found


def without_refused(prompt: str, parts: list[UnappliedPart]) -> str:
    """`prompt` with refused text (another language, instructions) a planner copied in taken out."""
    for part in parts:
        if part.reason == NOT_EXPRESSED:
            continue
        for text in [part.text, *clauses(part.text)]:  # as copied, or split into clauses
            pattern = re.compile(r"[,;]?\s*" + re.escape(text) + r"\s*(?=[,;.]|$)",
                                 re.IGNORECASE)
            prompt = pattern.sub("", prompt)
            words = text.split()
            for start in range(1, len(words) - 1):  # copied without its lead ("use seed 42")
                tail = re.escape(" ".join(words[start:]))
                prompt = re.sub(r"(?:^|[,;])\s*" + tail + r"\s*(?=[,;.]|$)", "", prompt,
                                flags=re.IGNORECASE)
    return prompt.strip(" ,;")


def _parts(instruction: str) -> list[str]:
    """The instruction's clauses; an injection sentence stays whole (it is one request)."""
    text = " ".join(instruction.split())
    parts: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|(?<=[。！？])\s*", text):  # "www.x" is no end
        sentence = sentence.strip(" .!?。！？")
        if not sentence:
            continue
        if _INJECTION.search(sentence) or _NON_LATIN.search(sentence) or _foreign(sentence):
            parts.append(sentence)
        else:
            parts += _clauses_keeping_links(sentence)
    return parts


_LINK_KEPT = re.compile(r"\s*(?:except(?: for)?|apart from|other than|then|while)\s*$")


def _clauses_keeping_links(sentence: str) -> list[str]:
    """Clauses as the planners split them, except that 'except', 'then' and 'while' stay
    on the clause they open: they are what makes it an exception or a moment in time."""
    pieces = re.split(f"({CLAUSE_SPLIT_RE.pattern})", sentence)
    parts: list[str] = []
    link = ""
    for n, piece in enumerate(pieces):
        if n % 2:  # a separator
            kept = _LINK_KEPT.match(piece) or piece.strip() == "plus"
            link = piece.strip() + " " if kept else ""
            continue
        piece = piece.strip(" .!?")
        if link == "plus " and not _foreign(piece):
            link = ""  # English "plus" joins; French "plus de brouillard" is one request
        if piece:
            parts.append(link + piece)
        link = ""
    return parts


def _refused(clause: str, *, llm: bool) -> str | None:
    if _INJECTION.search(clause) or asks_the_system(clause):
        return INSTRUCTIONS_TO_SYSTEM
    if not llm and _foreign(clause):
        return OTHER_LANGUAGE
    return None


def _foreign(clause: str) -> bool:
    if _NON_LATIN.search(clause):
        return True
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", clause.lower())
    # A word with a letter English does not use (scène, più, noche's ñ) counts as foreign.
    foreign = sum(w in _FOREIGN_WORDS or bool(_ACCENTED.search(w)) for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    return foreign >= 2 and foreign > english


def _expressed(clause: str, old: str, new: str, negative: str | None, *, single: bool) -> bool:
    text = bare(clause)
    if not text or _SCOPE_ONLY.match(text):
        return True
    new_stems = stems(new)
    removal = _REMOVAL.search(text)
    if removal:
        gone = content_words(removal.group(1))
        if not gone:
            return True
        in_negative = bool(negative) and all(shows(w, stems(negative)) for w in gone)
        if re.match(r"(?:don't|dont|do not|not|never|avoid)\b", removal.group(0)):
            # "not brighter": applied unless the prompt gained it.
            gained = new_stems - stems(old)
            return in_negative or not any(shows(w, gained) for w in gone)
        still_shown = all(shows(w, new_stems) for w in gone) and not negated_in(gone, new)
        return in_negative or not still_shown
    complaint = _COMPLAINT.search(text)
    if complaint:  # "way too dark": applied when the prompt moved, not towards it
        gained = new_stems - stems(old) - _BOILERPLATE
        lost = stems(old) - new_stems
        return bool(gained or lost) and not shows(complaint["what"], gained)
    if VAGUE_DEGREE_RE.match(text):  # "tone it down" after "too bright": the other clause says what
        return not single and bool(stems(new) - stems(old) - _BOILERPLATE)
    keep = _KEEP.match(text)
    words = content_words(keep.group(1) if keep else text)
    if not words:
        return True
    if colour_contradicted(words, new):
        return False
    if all(shows(w, new_stems) for w in words):
        return True
    # Said in other words (daytime -> "natural daylight"): some of it shows, and the
    # prompt gained words of its own beyond "Everything else unchanged".
    gained = new_stems - stems(old) - _BOILERPLATE
    return bool(gained) and any(shows(w, new_stems) or shows(w, gained) for w in words) or (
        single and len(gained) >= 2)
