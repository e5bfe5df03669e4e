"""Text normalisation for OCR'd tables: one function per kind of damage.

Normalised text is for structure and matching only; quotes keep the source verbatim.
`clean` chains the character-level repairs; the structural ones (repeated fragments,
duplicated item numbers, garbled categories) live in `ingest.indicators`, where the
structure they repair is known. README.md in this folder lists every repair with an example.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from ingest.taxonomy import OCR_CONFUSIONS, VALUE_CONFUSIONS

_MARKUP = re.compile(r"</?\s*[a-zA-Z][a-zA-Z0-9]*\s*/?>")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
# Whitespace is kept only between two Latin letters ("PC Pro"); OCR puts spaces inside
# Chinese words and numbers ("帮扶对 象", "41. 73"), where they never belong.
_DROP_SPACE = re.compile(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])")
_SPACED_NUMBER = re.compile(r"\d\s+[\d.]|\.\s+\d")
_SYMBOLS = str.maketrans(
    {
        "≪": "≤",
        "≫": "≥",
        "≦": "≤",  # Big5 has no ≤/≥, only these
        "≧": "≥",
        "〈": "<",
        "〉": ">",
        "：": ":",
        "∶": ":",
        "；": ";",
        "，": ",",
        "（": "(",
        "）": ")",
        "﹪": "%",
        "％": "%",
        "—": "-",
        "–": "-",
        "－": "-",
        "ー": "-",
    }
)
_SYMBOL_RE = re.compile("[" + re.escape("".join(chr(c) for c in _SYMBOLS)) + "]")
MASK = "\u200b"  # what markup is masked with: invisible, removed by `clean`


def strip_markup(text: str) -> str:
    """Remove stray HTML-like markup OCR leaves behind: `a<u> </u>b` → `a b`."""
    return _MARKUP.sub("", text)


def mask_markup(text: str) -> str:
    """Blank out markup with invisible characters of the same length.

    Offsets in the masked text are offsets in the source, so a span found in the masked
    text can be quoted verbatim from the source.
    """
    return _MARKUP.sub(lambda m: MASK * len(m.group(0)), text)


def drop_invisible(text: str) -> str:
    """Remove zero-width characters, BOMs and soft hyphens (and masked markup)."""
    return _INVISIBLE.sub("", text)


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (NFKC): `１００％` → `100%`."""
    return unicodedata.normalize("NFKC", text)


def unify_symbols(text: str) -> str:
    """One spelling per symbol: `≪`/`≦`→`≤`, `≫`/`≧`→`≥`, full-width colon/semicolon/comma → ASCII."""
    # A regex finds the few symbols faster than str.translate walks a long Chinese row.
    return _SYMBOL_RE.sub(_symbol, text)


def _symbol(m: re.Match[str]) -> str:
    return _SYMBOLS[ord(m.group(0))]


def is_blank(text: str) -> bool:
    """True for a cell with nothing visible in it (spaces, masked markup, zero-width characters)."""
    return not _INVISIBLE.sub("", text).strip()


def drop_spaces(text: str) -> str:
    """Remove whitespace (spaces, tabs, line breaks) OCR inserted inside words and numbers."""
    return _DROP_SPACE.sub("", _SPACE.sub(" ", text)).strip()


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A pinyin reading in brackets after a character (`目標(biāo)`), as some mirror sites print pages:
# lower-case letters with at least one tone mark, right after a Han character.
_READING = re.compile(r"(?<=[\u4e00-\u9fff])[(（](?=[a-zü]*[" + _TONED + r"])[a-zü" + _TONED + r"]{1,7}[)）]")


def drop_readings(text: str) -> str:
    """Remove pinyin readings printed after characters: `績效目標(biāo)` → `績效目標`."""
    return _READING.sub("", text) if "(" in text or "（" in text else text


def clean(text: str) -> str:
    """The normal form used for parsing: markup, invisibles, readings, width, symbols and spaces repaired."""
    return drop_spaces(unify_symbols(fold_width(drop_readings(drop_invisible(strip_markup(text))))))


def clean_value(text: str) -> str:
    """An indicator value or name: `clean` minus the separators around it."""
    return clean(text).strip(" :;,.。、")


def has_spaced_number(text: str) -> bool:
    """True when OCR put a space inside a number (`41. 73`, `1 000`)."""
    return bool(_SPACED_NUMBER.search(text))


# --- Traditional Chinese -------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _char_tables() -> tuple[dict[int, str], frozenset[str]]:
    """(t2s character map, characters that exist only in Traditional Chinese)."""
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def load(name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            if key and values:
                out[key] = values.split()[0]
        return out

    ts, st = load("TSCharacters.txt"), load("STCharacters.txt")
    table = {ord(k): v for k, v in ts.items() if len(k) == 1 and len(v) == 1 and k != v}
    traditional_only = frozenset(k for k, v in ts.items() if k != v and k not in st)
    return table, traditional_only


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese with opencc's phrase dictionary (slow; whole documents)."""
    return _t2s().convert(text)


def simplify_chars(text: str) -> str:
    """Traditional → Simplified character by character: fast, and the length never changes."""
    return text.translate(_char_tables()[0])


def simplify_line(text: str) -> str:
    """Simplify one line with phrases where that keeps its length, else character by character.

    Keeping the length keeps offsets, so spans found in the simplified line quote the
    original line verbatim.
    """
    out = to_simplified(text)
    return out if len(out) == len(text) else simplify_chars(text)


_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_traditional(text: str, sample: int = 20000) -> bool:
    """True when the text is written in Traditional Chinese (judged on its first characters)."""
    head = text[:sample]
    cjk = len(_HAN.findall(head))
    if cjk == 0:
        return False
    hits = sum(head.count(ch) for ch in _char_tables()[1].intersection(head))
    return hits >= 3 and hits >= 0.03 * cjk


@lru_cache(maxsize=262_144)
def for_matching(text: str) -> str:
    """The form two strings are compared in: clean and simplified.

    Known OCR misreadings are not applied here: they are words that also occur in ordinary text
    (`被监督`), so they apply to category labels only (`category_form`). Cached: names and values
    repeat across rows, and the assistant compares them often."""
    return clean(simplify_chars(text))


@lru_cache(maxsize=65_536)
def category_form(text: str) -> str:
    """A category label compared: `for_matching` with the known misreadings of category words fixed (`交益` → `效益`)."""
    out = for_matching(text)
    for wrong, right in OCR_CONFUSIONS:
        out = out.replace(wrong, right)
    return out


# --- Numbers and values ----------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_amount(text: str) -> float | None:
    """An amount cell: "41. 73" → 41.73, "" → None. Raises ValueError when not a number."""
    value = clean(text).replace(",", "").removesuffix("万元").removesuffix("元")
    if value in ("", "-", "/", "—"):
        return None
    if not _NUMBER.match(value):
        raise ValueError(f"不是金额: {text!r}")
    return round(float(value), 4)


def is_amount(text: str) -> bool:
    """True for an amount cell, including an empty one."""
    try:
        parse_amount(text)
    except ValueError:
        return False
    return True


def repair_by_reference(value: str, reference: str) -> str | None:
    """Repair a symbol OCR misread in `value` when `reference` shows what it was.

    `224个` beside `≥24个`: the two differ in one position only, and `2` for `≥` is a known
    misreading, so the value was `≥24个`. Returns the repaired value, or None.
    """
    if not value or len(value) != len(reference) or value == reference:
        return None
    diff = [(a, b) for a, b in zip(value, reference, strict=True) if a != b]
    if len(diff) == 1 and diff[0] in VALUE_CONFUSIONS:
        return reference
    return None


# Rates of a whole: never above 100%. `290%` for such a rate is `≥90%` with `≥` misread as `2`.
BOUNDED_RATE_WORDS = ("满意度", "满意率", "满意程度", "合格率", "完成率", "覆盖率", "到位率", "执行率", "及时率", "达标率",
                      "知晓率", "参保率", "保障率", "验收率", "入学率", "巩固率")
_OVER_RATE = re.compile(r"^2(\d{1,3}(?:\.\d+)?)%$")


def repair_bounded_rate(name: str, value: str) -> str | None:
    """`市民满意度调查` valued `290%`: a rate of a whole cannot pass 100%, and `2` for `≥` is a known
    misreading, so the value was `≥90%`. Returns the repaired value, or None."""
    m = _OVER_RATE.match(value)
    if not m or not any(w in name for w in BOUNDED_RATE_WORDS) or float(value[:-1]) <= 100:
        return None  # no rate, or a rate that can be what it says
    if float(m.group(1)) > 100 or m.group(1).startswith("0"):
        return None
    return f"≥{m.group(1)}%"
