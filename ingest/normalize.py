"""Text normalisation for OCR'd tables: one function per kind of damage.

Normalised text is for structure and matching only; quotes keep the source verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ingest.taxonomy import OCR_CONFUSIONS

_MARKUP = re.compile(r"</?\s*[a-zA-Z][a-zA-Z0-9]*\s*/?>")
_SPACE = re.compile(r"\s+")
# Whitespace is kept only between two Latin letters ("PC Pro"); OCR puts spaces inside
# Chinese words and numbers ("帮扶对 象", "41. 73"), where they never belong.
_DROP_SPACE = re.compile(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])")
_SYMBOLS = str.maketrans(
    {
        "≪": "≤",
        "≫": "≥",
        "〈": "<",
        "〉": ">",
        "：": ":",
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


def strip_markup(text: str) -> str:
    """Remove stray HTML-like markup OCR leaves behind (<u> </u>, <del>)."""
    return _MARKUP.sub("", text)


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def unify_symbols(text: str) -> str:
    """One spelling per symbol: ≪→≤, full-width colon/semicolon/comma → ASCII."""
    return text.translate(_SYMBOLS)


def drop_spaces(text: str) -> str:
    """Remove whitespace OCR inserted inside words and numbers."""
    return _DROP_SPACE.sub("", _SPACE.sub(" ", text)).strip()


def clean(text: str) -> str:
    """The normal form used for parsing: markup, width, symbols and spaces repaired."""
    return drop_spaces(unify_symbols(fold_width(strip_markup(text))))


def clean_value(text: str) -> str:
    """An indicator value or name: `clean` minus the separators around it."""
    return clean(text).strip(" :;,.。、")


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese (opencc), for matching only."""
    return _t2s().convert(text)


def for_matching(text: str) -> str:
    """The form two strings are compared in: clean, simplified, known misreadings fixed."""
    out = clean(to_simplified(text))
    for wrong, right in OCR_CONFUSIONS:
        out = out.replace(wrong, right)
    return out


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_amount(text: str) -> float | None:
    """An amount cell: "41. 73" → 41.73, "" → None. Raises ValueError when not a number."""
    value = clean(text).replace(",", "").rstrip("万元")
    if value in ("", "-", "/", "—"):
        return None
    if not _NUMBER.match(value):
        raise ValueError(f"不是金额: {text!r}")
    return round(float(value), 4)


def is_amount(text: str) -> bool:
    try:
        parse_amount(text)
    except ValueError:
        return False
    return True
