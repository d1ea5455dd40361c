"""The words a prompt is made of, by kind: what an edit looks for in the clip's prompt.

phrases.py holds how people ask; this module holds what prompts say: colours and other
attributes, things that name each other (a "car" in the instruction is the prompt's
"convertible"), weather, times of day, light, camera and style words, and which of them
contradict a requested change. Small on purpose: a word added here serves every edit.
"""

from __future__ import annotations

import re


def alternation(*words: str) -> str:
    """A regex alternation of phrases, longest first so 'tank top' beats 'top'."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# Attribute classes: a new value of a class replaces the old value of the same class.
COLOURS = (
    "red", "blue", "green", "yellow", "orange", "purple", "pink", "white", "black", "grey",
    "gray", "brown", "silver", "gold", "golden", "beige", "teal", "turquoise", "navy",
    "maroon", "crimson", "violet", "cream", "ivory", "chrome", "bronze", "copper", "brass",
    "magenta", "cyan", "lavender", "blonde", "blond", "brunette", "auburn", "ginger",
    "platinum", "scarlet", "emerald", "khaki",
)  # fmt: skip
TONES = ("bright", "dark", "light", "pale", "deep", "hot", "all", "neon")  # before a colour
HAIR_TEXTURES = (
    "straight", "sleek", "curly", "wavy", "frizzy", "braided", "slicked-back", "messy",
    "tousled", "spiky", "permed",
)  # fmt: skip
LENGTHS = ("long", "short", "cropped", "shoulder-length", "shaved", "buzzed")
PATTERNS = (
    "plain", "striped", "checked", "plaid", "polka-dot", "floral", "patterned", "sequined",
    "sparkly", "glittery", "tie-dye",
)  # fmt: skip
MATERIALS = (
    "denim", "leather", "silk", "velvet", "cotton", "wool", "woollen", "satin", "lace",
    "suede", "linen", "latex", "vinyl", "fur", "wooden", "metal", "plastic",
)  # fmt: skip
LIGHT_QUALITIES = (
    "soft", "harsh", "hard", "flat", "diffused", "gentle", "strong", "dramatic", "moody",
    "bright", "dim", "even", "natural", "warm", "cool", "cold", "icy", "fluorescent",
)  # fmt: skip
ATTRIBUTE_CLASSES: tuple[frozenset[str], ...] = tuple(
    frozenset(c) for c in (COLOURS, HAIR_TEXTURES, LENGTHS, PATTERNS, MATERIALS)
)
COLOUR_RE = re.compile(rf"\b(?:{alternation(*COLOURS)})\b")

# Words that start a noun phrase: an edit keeps or drops them with their noun.
DETERMINERS = frozenset(
    "a an the some his her their its this that these those two three four five six several"
    " many few one".split()
)
# What sits left of a noun phrase that goes with it when the thing is removed.
LEADS = (
    "in front of", "covered in", "covered with", "full of", "filled with", "surrounded by",
    "next to", "with", "behind", "under", "beneath", "beside", "near", "among", "by", "in",
    "on", "holding", "wearing", "through", "across", "over", "past", "around", "during", "amid",
    "amidst", "against", "inside", "outside",
)  # fmt: skip
LEAD_RE = re.compile(rf"(?:\b(?:{alternation(*LEADS)})\s+)$", re.IGNORECASE)

# Things that name each other: the instruction's word may be any of the group's.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("car", "convertible", "sedan", "coupe", "taxi", "cab", "limo", "limousine", "jeep",
     "suv", "lowrider", "cadillac", "muscle car", "sports car"),
    ("boat", "yacht", "canoe", "kayak", "sailboat", "ship", "rowing boat"),
    ("suit", "tuxedo", "tux", "blazer"),
    ("hat", "bucket hat", "cap", "beanie", "fedora", "cowboy hat", "baseball cap"),
    ("glasses", "sunglasses", "aviator sunglasses", "aviators", "shades", "spectacles"),
    ("mic", "microphone"),
    ("sax", "saxophone"),
    ("shoes", "sneakers", "trainers", "boots", "heels", "sandals"),
    ("outfit", "outfits", "clothes", "costume", "costumes"),
    ("bike", "bicycle"),
    ("drums", "drum kit", "drum set"),
    ("tee", "t-shirt", "shirt", "top", "tank top"),
    ("dog", "puppy", "retriever", "golden retriever", "pit bull", "poodle", "bulldog", "terrier"),
    ("cat", "kitten"),
)  # fmt: skip
CLOTHING = (
    "dress", "gown", "jacket", "suit", "tuxedo", "tee", "t-shirt", "shirt", "hoodie",
    "tank top", "top", "jeans", "trousers", "pants", "skirt", "outfit", "outfits", "costume",
    "jumpsuit", "coat", "sweater", "jumper", "vest", "uniform", "overalls", "shorts",
)  # fmt: skip
CLOTHING_RE = re.compile(rf"\b(?:{alternation(*CLOTHING)})s?\b")
ON_A_PERSON_RE = re.compile(
    rf"\b(?:on|in|to) (?:his|her|their|the singer's) (?:{alternation(*CLOTHING)}|hair|face"
    r"|head|neck|wrist|arm|hands?)\b"
)
PEOPLE = (
    "dancer", "dancers", "crowd", "people", "drummer", "vocalist", "singer", "singers",
    "band", "couple", "couples", "kids", "children", "child", "man", "men", "woman", "women",
    "girl", "girls", "boy", "boys", "fans", "audience", "musicians", "friends", "choir",
    "guitarist", "bassist", "pianist", "extras", "crowds", "partygoers", "onlookers",
)  # fmt: skip
PEOPLE_RE = re.compile(rf"\b(?:{alternation(*PEOPLE)})\b")
# Said of a scene that now has more people or things in it.
ALONE_RE = re.compile(r"\b(?:alone|solo|lone|by (?:him|her|them)sel(?:f|ves))\b\s*")
EMPTY_RE = re.compile(r"\b(?:empty|bare|blank|plain|deserted)\b\s*")

# Weather: what each kind is called, its adjective, and what it says when added.
WEATHER: dict[str, tuple[str, str, str]] = {
    # kind: (instruction words, adjective for the sky and the day, phrase when added)
    "sandstorm": (r"sand ?storms?|dust ?storms?", "dusty", "a sandstorm"),
    "blizzard": (r"blizzards?", "snowy", "a blizzard"),
    "storm": (r"(?:thunder)?storms?|stormy|thunder", "stormy", "a thunderstorm"),
    "drizzle": (r"drizzl(?:e|ing|y)", "grey", "light drizzle"),
    "rain": (r"rain(?:s|ing|y|fall|drops)?|downpour|showers", "rainy", "rain falling"),
    "snow": (r"snow(?:s|ing|y|fall|flakes)?", "snowy", "snow falling"),
    "fog": (r"fog(?:gy)?", "foggy", "fog"),
    "mist": (r"mist(?:y)?", "misty", "mist"),
    "haze": (r"haz(?:e|y)", "hazy", "haze"),
    "overcast": (r"overcast|cloudy|clouds", "overcast", "an overcast sky"),
    "wind": (r"wind(?:y|s)?|gusts?|gusty", "windy", "strong wind"),
}
WET = frozenset({"rain", "drizzle", "storm"})
COLD = frozenset({"snow", "blizzard"})
WEATHER_RE = {
    kind: re.compile(rf"\b(?:{words})\b") for kind, (words, _adj, _phrase) in WEATHER.items()
}
# What fair weather looks like in a prompt: replaced by the new weather's adjective.
FAIR_SKY_RE = re.compile(
    r"\b(?:(?:bright|sunny|clear|cloudless|blue|crisp blue)\s+)+"
    r"(?=(?:night |spring |summer |autumn |winter )?(?:sky|skies|air|day|morning|afternoon"
    r"|evening|night|weather)\b)"
)
SUN_RE = re.compile(
    r"\b(?:(?:harsh|bright|blazing|hot|strong|glaring|overhead|midday|noon|high|afternoon"
    r"|warm|beating)\s+)*(?:sun|sunshine|sunbeams|sun rays|midday glare|glare)\b"
)
HIGH_SUN_RE = re.compile(
    r"\b(?:(?:harsh|bright|blazing|hot|strong|glaring|overhead|midday|noon|high)\s+)+"
    r"(?:sun|sunlight|sunshine|glare)\b|\bmidday glare\b|\bnoon sun\b"
)
NIGHT_ONLY_RE = re.compile(
    r"\b(?:(?:a|the) )?(?:full moon|moon|starry sky|starlit sky|stars(?: overhead)?|starry"
    r"|pitch[- ]black(?: outside)?|darkness)\b|\bthe dark\b"
)
SUNSET_SKY_RE = re.compile(
    r"\b(?:orange|pink|purple|golden|red|amber|rosy)\s+(?:sky|skies|clouds|horizon)\b"
)
DARK_PLACE_RE = re.compile(
    r"\b(?:dark|darkened)\s+(?!(?:blue|red|green|brown|grey|gray|purple|hair|haired|suit"
    r"|jacket|dress|clothes|eyes|skin|tones?|colou?rs?|and|-)\b)(?=[a-z])",
    re.IGNORECASE,
)
CLOCK_TIME = r"\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)"

# Camera: a segment of the prompt that says how it is shot.
CAMERA_RE = re.compile(
    r"\b(?:shot|shots|camera|cam|dolly|dolly-in|handheld|hand-held|tracking|drone|pans?|tripod"
    r"|steadicam|crane|push-in|pull-back|close-ups?|zooms?|orbit(?:ing)?|cuts|frame|lens"
    r"|angle|wide|glide|fisheye|pov|aerial|tilt)\b"
)
CAMERA_MOVES = (
    "orbit", "circle", "track", "follow", "pan", "tilt", "dolly", "zoom", "push in", "pull back",
    "crane", "fly", "sweep", "glide",
)  # fmt: skip
CAMERA_MOVE_RE = re.compile(rf"^(?:{alternation(*CAMERA_MOVES)})\b")
CAMERA_RIG_RE = re.compile(
    r"\b(?:drone|dolly(?:-in)?|tracking|handheld|hand-held|steadicam|tripod|crane|orbit"
    r"|aerial|pov|close-ups?|wide shot|push-in|pull-back|zoom|pans?|whip pans?|fisheye)\b"
)

# Light: the prompt's light source, and what a lighting request may say it becomes.
LIGHT_HEADS = (
    "lighting", "light", "lights", "spotlight", "spotlights", "floodlights", "glow", "bulbs",
    "lamps", "strobes", "torches", "fluorescents", "neon", "backlight", "rim light",
    "work lights",
)  # fmt: skip
LIGHT_RE = re.compile(r"\b(?:lighting|light|lights|lit|lamp|lamps|glow|illumination)\b")
LIT_BY_RE = re.compile(r"\b(?:[a-z]+-)?lit by [^,]+", re.IGNORECASE)
COMPARATIVE_BASE = {
    "softer": "soft", "warmer": "warm", "cooler": "cool", "colder": "cold", "harsher": "harsh",
    "moodier": "moody", "gentler": "gentle", "dimmer": "dim", "brighter": "bright",
    "stronger": "strong", "more dramatic": "dramatic", "more natural": "natural",
}  # fmt: skip

# Styles: a look for the whole clip, and the words of the look it replaces.
STYLE_GROUPS: dict[str, tuple[str, str]] = {
    # group: (style words, words it contradicts)
    "drawn": (
        r"anime|cartoon|animated|animation|claymation|stop[- ]motion|clay|oil painting"
        r"|painting|painted|watercolou?r|sketch(?:ed)?|comic(?: book)?|pixel art|\d+-bit"
        r"|low-poly|3d render|cel[- ]shaded|illustrat\w+|pixel",
        r"photo-?realistic|photoreal|hyper-?realistic|realistic|lifelike|live-action",
    ),
    "mono": (
        r"black and white|black-and-white|b&w|monochrome|noir|sepia|greyscale|grayscale",
        r"vibrant|(?:highly |hyper-?)?saturated(?: colou?rs)?|colou?rful|pastel(?: tones"
        r"| colou?rs)?|technicolou?r|rainbow",
    ),
    "era": (
        r"vhs|super ?8|16 ?mm|\d0s|\d0's|camcorder|home video",
        r"crisp|clean|sharp|pristine|\d+k|hd|digital|modern|high-definition|ultra-sharp",
    ),
    "grade": (  # a look laid over the same footage: moderate, like a mood
        r"film grain|grain|grainy|vintage|retro|analog(?:ue)?|faded|film look|35 ?mm",
        r"crisp|clean|sharp|pristine|\d+k|hd|digital|ultra-sharp",
    ),
    "future": (
        r"cyberpunk|steampunk|futuristic|sci-fi|synthwave|vaporwave|neon-noir",
        r"rustic|thatched|medieval|old-fashioned|antique|quaint|pastoral",
    ),
    "dream": (
        r"dreamy|dreamlike|dream-like|ethereal|surreal|soft-focus|hazy",
        r"gritty|grimy|raw|realistic",
    ),
}
STYLE_RE = re.compile(r"\b(?:" + "|".join(words for words, _ in STYLE_GROUPS.values()) + r")\b")
MOOD_RE = re.compile(r"\b(?:feel|feeling|mood|moody|vibe|atmosphere|dreamy|dreamlike)\b")
# Styles that re-imagine the medium or palette (a significant change); the rest are looks.
MEDIUM_STYLES = frozenset({"drawn", "mono", "era", "future"})
