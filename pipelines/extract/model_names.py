"""Model names: a family lexicon plus a version grammar.

A model name is a family word ("GPT", "Claude", "GLM", "Qwen", "Llama") followed
by version parts: numbers ("4", "2.5", "3.1"), numbers with a suffix ("4o",
"405B", "235B"), letter-number codes ("R1", "V3", "K2", "A22B") and tier words
("Pro", "Opus", "mini", "Air"), joined by a hyphen, a space or nothing
("Qwen3"). So "Claude Opus 4.5", "Qwen3-235B-A22B", "Llama 3.1 405B",
"Gemini 2.5 Pro", "Kimi K2", "GPT-4o mini" and "o1-preview" are all read the
same way, and a new version of a known family needs no new code.

The family word is found with one regex (an alternation of literals, linear);
version parts are read one at a time with an anchored regex whose quantifiers
are possessive or bounded, so there is nothing to backtrack into.

Families that are also ordinary words ("Llama", "Phi", "Falcon", "Nova") are
matched case-sensitively and need a version part with a digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    names: tuple[str, ...]
    # The developer first; the others are the same group (Google and DeepMind).
    org_ids: tuple[str, ...]
    # A name by itself ("Sora", "BERT"); otherwise a version part is required.
    standalone: bool = False
    case_sensitive: bool = False
    # The family word is an ordinary word: require a part with a digit.
    needs_digit: bool = False


_GOOGLE = ("google", "google-deepmind", "deepmind")
FAMILIES: tuple[Family, ...] = (
    Family(("GPT",), ("openai",)),
    Family(("Claude",), ("anthropic",)),
    Family(("Gemini", "Gemma"), _GOOGLE),
    Family(("PaLM", "LaMDA", "BERT"), _GOOGLE, standalone=True, case_sensitive=True),
    Family(("Imagen", "Veo", "Genie"), _GOOGLE, case_sensitive=True, needs_digit=True),
    Family(
        ("AlphaFold", "AlphaGo", "AlphaZero", "AlphaCode", "AlphaEvolve", "AlphaGeometry", "AlphaProof", "AlphaStar"),
        ("google-deepmind", "deepmind", "google"),
        standalone=True,
        case_sensitive=True,
    ),
    Family(("Gopher", "Chinchilla"), ("deepmind", "google-deepmind", "google"), standalone=True, case_sensitive=True),
    Family(("Llama", "LLaMA", "LLAMA"), ("meta",), case_sensitive=True),
    Family(("OPT",), ("meta",), case_sensitive=True, needs_digit=True),
    Family(("Galactica",), ("meta",), standalone=True, case_sensitive=True),
    Family(("Mistral",), ("mistral-ai",)),
    Family(
        ("Mixtral", "Codestral", "Magistral", "Devstral", "Pixtral", "Ministral"),
        ("mistral-ai",),
        standalone=True,
        case_sensitive=True,
    ),
    Family(("DeepSeek",), ("deepseek",)),
    Family(("Qwen",), ("alibaba",)),
    Family(("QwQ",), ("alibaba",), standalone=True, case_sensitive=True),
    Family(("Wan",), ("alibaba",), case_sensitive=True, needs_digit=True),
    Family(("GLM", "ChatGLM", "CodeGeeX", "CogView", "CogVideoX"), ("zhipu-ai",)),
    Family(("Kimi",), ("moonshot-ai",)),
    Family(("ERNIE", "Ernie"), ("baidu",), case_sensitive=True),
    Family(("Hunyuan",), ("tencent",)),
    Family(("Doubao", "Seedream", "Seedance"), ("bytedance",)),
    Family(("MiniMax", "Hailuo"), ("minimax",)),
    Family(("Grok",), ("xai",)),
    Family(("Phi",), ("microsoft",), case_sensitive=True, needs_digit=True),
    Family(("Nemotron",), ("nvidia",)),
    Family(("Nova", "Titan"), ("amazon",), case_sensitive=True),
    Family(("Granite",), ("ibm",), case_sensitive=True, needs_digit=True),
    Family(("Falcon",), ("tii",), case_sensitive=True, needs_digit=True),
    Family(("OLMo", "Olmo"), ("allen-institute-for-ai",), case_sensitive=True),
    Family(("Yi",), ("01-ai",), case_sensitive=True, needs_digit=True),
    Family(("Baichuan",), ("baichuan",), case_sensitive=True, needs_digit=True),
    Family(("Aya",), ("cohere",), case_sensitive=True),
    Family(("Jamba",), ("ai21-labs",), case_sensitive=True),
    Family(("DBRX",), ("databricks",), standalone=True, case_sensitive=True),
    Family(("Sora", "DALL-E", "DALL\u00b7E"), ("openai",), standalone=True, case_sensitive=True),
    Family(("Whisper",), ("openai",), case_sensitive=True),
    Family(("Stable Diffusion", "SDXL"), ("stability-ai",), standalone=True, case_sensitive=True),
    Family(("FLUX", "Flux"), ("black-forest-labs",), case_sensitive=True, needs_digit=True),
    Family(("PanGu", "Pangu"), ("huawei",), case_sensitive=True),
    Family(("Skywork",), ("kunlun",)),
    Family(("InternLM",), ("shanghai-ai-lab",)),
    Family(("Kling",), ("kuaishou",), standalone=True, case_sensitive=True),
    Family(("MiMo",), ("xiaomi",), case_sensitive=True),
    Family(("BLOOM",), ("bigscience",), standalone=True, case_sensitive=True),
    Family(("Inflection",), ("inflection-ai",), case_sensitive=True, needs_digit=True),
)
# OpenAI's reasoning series: a lowercase "o" and one digit ("o1", "o3-mini", "o4-mini").
O_SERIES = Family(("o1",), ("openai",), standalone=True, case_sensitive=True)

QUALIFIERS = frozenset(
    """pro flash ultra nano mini max plus turbo opus sonnet haiku instruct chat coder thinking reasoner preview exp
    experimental large medium small lite air scout maverick behemoth vision vl omni base zero heavy fast oss deep
    think next instant codex""".split()
)
# Tiers that are officially written in lowercase after a space ("GPT-4o mini").
_LOWERCASE_OK = frozenset({"mini"})


def _family_key(surface: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", surface.lower())


_BY_KEY: dict[str, Family] = {}
_insensitive: list[str] = []
_sensitive: list[str] = []
for _family in FAMILIES:
    for _name in _family.names:
        _BY_KEY.setdefault(_family_key(_name), _family)
        (_sensitive if _family.case_sensitive else _insensitive).append(re.escape(_name))
# Longest first inside each alternation, so "ChatGLM" is tried before "GLM".
_insensitive.sort(key=len, reverse=True)
_sensitive.sort(key=len, reverse=True)
FAMILY_RE = re.compile(
    r"(?<![\w.\-])(?:(?i:" + "|".join(_insensitive) + r")|" + "|".join(_sensitive) + r"|o[1-9](?!\d))"
    # A family word ends at a word end, a version digit, or a separator; never inside a word ("Grokking").
    r"(?![^\W\d_])"
)
_PART = re.compile(
    r"(?P<sep>[ \-.]?)(?P<part>\d+x\d+[BbMm]|[A-Za-z]{0,2}+\d++(?:\.\d+){0,2}[A-Za-z]{0,3}\+?|[A-Za-z]++\+?)"
)
# A numeric part after a space must look like a version or a size, not a count or a year.
_SPACED_VERSION = re.compile(
    r"\d{1,2}(?:\.\d+){0,2}[a-z]?|\d+(?:\.\d+)?[BbMmTt]|[A-Z]\d+(?:\.\d+)?[A-Za-z]?|k\d+(?:\.\d+)?|\d+x\d+[BbMm]"
)
MAX_PARTS = 6


@dataclass(frozen=True)
class ModelMention:
    name: str
    start: int
    end: int
    family: Family
    # Has a number in it ("GLM-5"), as opposed to a bare standalone name ("Sora").
    versioned: bool

    @property
    def developer_ids(self) -> tuple[str, ...]:
        return self.family.org_ids


def model_key(name: str) -> str:
    """How two spellings of a model name are compared: "GPT-4o" = "gpt 4o"."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def _accept(sep: str, part: str) -> bool:
    if any(c.isdigit() for c in part):
        if sep == ".":
            return part[0].isdigit()
        if sep == " ":
            return _SPACED_VERSION.fullmatch(part) is not None
        return not re.fullmatch(r"(?:19|20)\d\d", part)
    word = part.rstrip("+").lower()
    if word not in QUALIFIERS or sep == ".":
        return False
    return sep == "-" or part[0].isupper() or word in _LOWERCASE_OK


def find_models(text: str, start: int = 0, end: int | None = None) -> list[ModelMention]:
    end = len(text) if end is None else end
    found: list[ModelMention] = []
    for match in FAMILY_RE.finditer(text, start, end):
        surface = match.group()
        family = O_SERIES if re.fullmatch(r"o[1-9]", surface) else _BY_KEY.get(_family_key(surface))
        if family is None:
            continue
        pos = match.end()
        has_digit = any(c.isdigit() for c in surface)
        parts = 0
        while parts < MAX_PARTS:
            part = _PART.match(text, pos, end)
            if not part or not _accept(part.group("sep"), part.group("part")):
                break
            # A glued part must be a number ("Qwen3"); letters glued on are another word.
            if not part.group("sep") and not part.group("part")[0].isdigit():
                break
            has_digit = has_digit or any(c.isdigit() for c in part.group("part"))
            pos = part.end()
            parts += 1
        if pos < end and (text[pos].isalnum() or text[pos] == "_"):
            continue  # stopped inside a word: not a clean name
        if family.needs_digit and not has_digit:
            continue
        if not parts and not family.standalone:
            continue
        found.append(ModelMention(text[match.start() : pos], match.start(), pos, family, has_digit))
    return found


def bare_family_at(text: str, pos: int, end: int) -> ModelMention | None:
    """A family name written alone ("Gemini", "Claude") starting exactly at `pos`.

    Alone, such a word is as often the chatbot or the brand as a model, so the
    caller accepts it only where the sentence says it is a model.
    """
    match = FAMILY_RE.match(text, pos, end)
    if match is None or not match.group()[:1].isupper():
        return None
    family = _BY_KEY.get(_family_key(match.group()))
    if family is None or family.needs_digit:
        return None
    if match.end() < end and (text[match.end()].isalnum() or text[match.end()] in "-."):
        return None
    return ModelMention(match.group(), match.start(), match.end(), family, False)
