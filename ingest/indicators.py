"""Parse one 绩效指标 cell into indicator items.

A cell packs every indicator of a project:
`1、1-产出指标: 11-数量指标: 费用标准: 实施周期指标值:≤合同金额, 年度指标值:≤合同金额。2、…`
Categories are repaired through their codes first (`22-社会通…` is 社会效益指标), then by
the words; every repair is recorded with the original text and a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from ingest.normalize import MASK, category_form, clean, clean_value, repair_by_reference, simplify_chars
from ingest.records import Repair
from ingest.taxonomy import BY_CODE, KNOWN_VARIANTS, LEVEL1, LEVEL2, Category, children, variants

# An item marker "3、" at the start of the cell or after punctuation/space (or masked markup).
_ITEM = re.compile(r"(?:^|(?<=[\s。;；,，.．:：、" + MASK + r"]))(\d{1,2})\s*、")
_LABEL = re.compile(r"(实施周期指标值?|周期指标值|年度指标值?|(?<![期度])指标值)")
_PART_SEP = re.compile(r"[:;,。]|\.(?!\d)")
_CODED = re.compile(r"^(\d{1,2})\s*[-_~.、]?\s*(.*)$")
_CATEGORY_END = ("指标", "效益", "影响", "满意度", "标")


@dataclass
class RawItem:
    """One `N、…` span of a cell: the printed number, its text and where it sits in the cell."""

    number: int
    text: str
    start: int = 0
    end: int = 0
    raw: str = ""  # the span as the source prints it (quotes); `text` when empty


@dataclass
class ParsedItem:
    """An indicator recovered from an item, before it becomes a record."""

    number: int
    level1: Category | None
    level2: Category | None
    indicator: str
    period_value: str
    annual_value: str
    text: str
    repairs: list[Repair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # problems that became warnings


class ItemError(ValueError):
    """An item that cannot be read as an indicator; the message says why (in Chinese)."""


def split_items(cell: str) -> tuple[str, list[RawItem]]:
    """Split a cell at its item markers; returns (text before the first marker, items).

    Item offsets are offsets in `cell`, so the caller can quote the source span.
    """
    marks = list(_ITEM.finditer(cell))
    if not marks:
        return cell, []
    items = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(cell)
        while end > m.start() and cell[end - 1].isspace():
            end -= 1
        items.append(RawItem(int(m.group(1)), cell[m.start() : end], m.start(), end))
    return cell[: marks[0].start()], items


def _label_kind(label: str) -> str:
    if "周期" in label:
        return "period"
    if "年度" in label:
        return "annual"
    return "both"


@lru_cache(maxsize=65536)
def _score(words: str, category: Category) -> float:
    """How well category words read as this category (0-100), after OCR fixes."""
    exact = clean(simplify_chars(words))
    # A full name may run into the indicator name (`社会效益指标加强…`); a short form may not:
    # `产出指际` is a misread 产出指标, not 产出 followed by a name.
    if any(exact == v or (v.endswith("指标") and exact.startswith(v)) for v in variants(category)):
        return 100.0
    # Known misreadings and fuzzy matches never count as exact: they are repairs.
    w = category_form(words)
    return min(99.0, max(fuzz.ratio(w, v) for v in variants(category)))


def category_score(words: str, category: Category) -> float:
    """How well words read as a category (0-100): 100 only for a spelling of it, misreadings and near misses below."""
    return _score(words, category)


def _aligned(prefix: str, name: str) -> float:
    """Share of positions where two equal-length strings agree (OCR substitutes chars)."""
    return sum(a == b for a, b in zip(prefix, name, strict=False)) / len(name)


def split_category_prefix(category: Category, words: str) -> tuple[str, str] | None:
    """Split `社会通知加强社会责任意识` into (category words, indicator name) for a known code.

    OCR misreads characters but rarely drops them, so the prefix as long as one of the
    category's spellings, agreeing on at least half its characters, is the category.
    """
    best: tuple[int, float, int] | None = None
    for v in variants(category):
        if len(words) - len(v) < 2:
            continue
        share = _aligned(category_form(words[: len(v)]), v)
        # Most agreeing characters wins: `满意度指际…` is 满意度指标 misread, not 满意度.
        if share >= 0.5 and (best is None or (round(share * len(v)), share, len(v)) > best):
            best = (round(share * len(v)), share, len(v))
    if best is None:
        return None
    return words[: best[2]], words[best[2] :]


def _split_any_category(words: str) -> tuple[str, str] | None:
    """Split off the full name of any category the words start with (`经济效益指标强化…`)."""
    names = sorted((c.name for c in LEVEL1 + LEVEL2), key=len, reverse=True)
    exact = clean(simplify_chars(words))
    for name in names:
        if exact.startswith(name) and len(exact) - len(name) >= 2 and len(exact) == len(words):
            return words[: len(name)], words[len(name) :]
    return None


@dataclass
class _Slot:
    code: str
    words: str
    raw: str


def _slot(part: str) -> _Slot | None:
    """A category part: `22-社会效益指标`, `2 交益指标`, or words alone that read as a category."""
    m = _CODED.match(part)
    if m and (m.group(1) in BY_CODE or m.group(1)[:1] in "1234"):
        return _Slot(m.group(1), m.group(2), part)
    if part.endswith(_CATEGORY_END) and max(_score(part, c) for c in LEVEL1 + LEVEL2) >= 75:
        return _Slot("", part, part)
    return None


def _segments(header: str) -> list[tuple[int, int]]:
    """(start, end) of the non-empty parts of a header between separators."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in [*_PART_SEP.finditer(header), None]:
        stop = m.start() if m else len(header)
        if header[pos:stop].strip():
            out.append((pos, stop))
        pos = m.end() if m else stop
    return out


def _read_slots(header: str) -> tuple[list[_Slot], list[tuple[int, int]]]:
    """Take up to two leading category parts; the other parts (as spans) hold the indicator name."""
    spans = _segments(header)
    slots: list[_Slot] = []
    i = 0
    while i < len(spans) and len(slots) < 2:
        slot = _slot(header[spans[i][0] : spans[i][1]].strip())
        if slot is None:
            break
        slots.append(slot)
        i += 1
    return slots, spans[i:]


def _best_by_words(words: str, pool: tuple[Category, ...]) -> tuple[Category | None, float]:
    scored = sorted(((_score(words, c), c) for c in pool), key=lambda t: -t[0])
    if not scored:
        return None, 0.0
    return scored[0][1], scored[0][0]


def _resolve(slot: _Slot, pool: tuple[Category, ...], field_name: str) -> tuple[Category | None, list[Repair]]:
    """A category from code and words; the code wins when they disagree."""
    by_code = BY_CODE.get(slot.code)
    if by_code is not None and by_code not in pool:
        by_code = None
        # `3-满意度指标` in the level-2 slot: the level-1 code repeated; its only child.
        only = [c for c in pool if c.parent == slot.code]
        if len(only) == 1:
            by_code = only[0]
        elif slot.code in BY_CODE and BY_CODE[slot.code].level == pool[0].level:
            return None, []  # a valid code of this level outside the pool: the caller widens the pool
    by_words, word_score = _best_by_words(slot.words, pool) if slot.words else (None, 0.0)
    repaired = by_code.name if by_code else ""
    if by_code is not None:
        if not slot.words or (by_words is by_code and word_score >= 100):
            return by_code, []
        if by_words is not None and by_words is not by_code and word_score >= 90:
            reason = f"代码{slot.code}与名称“{slot.words}”不一致,以代码为准"
        else:
            reason = f"按指标代码{slot.code}修复OCR误识的名称“{slot.words}”"
        return by_code, [Repair(field_name, slot.raw, repaired, reason)]
    if by_words is not None and word_score >= 60:
        if word_score >= 100 and not slot.code:
            return by_words, []
        why = f"代码“{slot.code}”无效,按名称识别" if slot.code else "缺少代码,按名称模糊识别"
        return by_words, [Repair(field_name, slot.raw, by_words.name, why)]
    return None, []


def _categories(slots: list[_Slot]) -> tuple[Category | None, Category | None, list[Repair]]:
    """一级/二级 categories from up to two category parts; the level-2 code decides the parent."""
    repairs: list[Repair] = []
    level1 = level2 = None
    if len(slots) == 2:
        level1, r1 = _resolve(slots[0], LEVEL1, "level1")
        pool = children(level1.code) if level1 else LEVEL2
        level2, r2 = _resolve(slots[1], pool, "level2")
        if level2 is None:
            # Not a child of the level 1 read: the level-2 code decides (and implies the parent).
            level2, r2 = _resolve(slots[1], LEVEL2, "level2")
        repairs += r1 + r2
    elif len(slots) == 1:
        level2, r2 = _resolve(slots[0], LEVEL2, "level2")
        if level2 is None:
            level1, r2 = _resolve(slots[0], LEVEL1, "level1")
        repairs += r2
    if level2 is not None and (level1 is None or level1.code != level2.parent):
        if level1 is not None:
            repairs.append(Repair("level1", slots[0].raw, BY_CODE[level2.parent].name, "一级指标与二级指标代码不一致,以二级为准"))
        level1 = BY_CODE[level2.parent]
    return level1, level2, repairs


def resolve_categories(level1_text: str, level2_text: str) -> tuple[Category | None, Category | None, list[Repair]]:
    """Categories from two spreadsheet cells (`1-产出指标`, `数量指标`, …), repaired like the OCR layout's."""
    slots: list[_Slot] = []
    for text in (level1_text, level2_text):
        part = clean(text)
        if not part:
            continue
        m = _CODED.match(part)
        slots.append(_Slot(m.group(1), m.group(2), part) if m and m.group(2) != part else _Slot("", part, part))
    if len(slots) == 1 and not clean(level2_text):
        level1, r = _resolve(slots[0], LEVEL1, "level1")
        if level1 is not None:
            return level1, None, r
    level1, level2, repairs = _categories(slots)
    if level2 is not None and is_known_variant(level1_text, level2) and not [r for r in repairs if r.field == "level2"]:
        # Not damage: the template puts this category there. The framework's parent is kept, unflagged.
        repairs = [r for r in repairs if r.field != "level1"]
    return level1, level2, repairs


def is_known_variant(level1_text: str, level2: Category | None) -> bool:
    """True when a 一级 label printed over this 二级 category is a template variant (2015: 满意度 under 效益指标)."""
    if level2 is None:
        return False
    m = _CODED.match(clean(level1_text))
    words = m.group(2) if m and m.group(2) else clean(level1_text)
    return (simplify_chars(words), level2.code) in KNOWN_VARIANTS


def _name(header: str, spans: list[tuple[int, int]], repairs: list[Repair]) -> str:
    """The indicator name: the header text after the categories, repeated fragments dropped."""
    if not spans:
        return ""
    parts = [_trim(header[a:b]) for a, b in spans]
    if len(parts) > 1 and len(set(parts)) == 1:
        # "帮扶地区数:帮扶地区数:" — OCR repeated the fragment.
        repairs.append(Repair("indicator", header[spans[0][0] : spans[-1][1]], parts[0], f"删除重复的名称片段({len(parts) - 1}处)"))
        return parts[0]
    return _trim(header[spans[0][0] : spans[-1][1]])


def _trim(cleaned: str) -> str:
    """`clean_value` for text that is already clean."""
    return cleaned.strip(" :;,.。、")


def _repair_values(values: dict[str, str], repairs: list[Repair]) -> None:
    """Fix a symbol misread in one value when the other value of the indicator shows it."""
    period, annual = values.get("period", ""), values.get("annual", "")
    for key, value, reference in (("annual", annual, period), ("period", period, annual)):
        fixed = repair_by_reference(value, reference)
        if fixed is not None:
            values[key] = fixed
            what = "年度指标值" if key == "annual" else "实施周期指标值"
            repairs.append(Repair(f"{key}_value", value, fixed, f"{what}中的符号被OCR误识,按另一指标值修复"))
            return


def parse_item(item: RawItem) -> ParsedItem:
    """Read one item. Raises ItemError when it holds no indicator (a garbled fragment)."""
    norm = clean(item.text)
    norm = re.sub(r"^\d{1,2}、", "", norm)
    labels = list(_LABEL.finditer(norm))
    if not labels:
        raise ItemError(f"第{item.number}项没有“实施周期指标值/年度指标值”,无法识别: {norm[:60]}")
    header = norm[: labels[0].start()]
    slots, name_spans = _read_slots(header)
    level1, level2, repairs = _categories(slots)
    notes: list[str] = []
    if level1 is None:
        raise ItemError(f"第{item.number}项无法识别一级/二级指标: {norm[:60]}")

    name = _name(header, name_spans, repairs)
    if not name and slots and level2 is not None:
        # "22-社会通知加强社会责任意识": the separator between category and name was lost.
        split = split_category_prefix(level2, slots[-1].words) or _split_any_category(slots[-1].words)
        if split:
            name = clean_value(split[1])
            repairs.append(Repair("indicator", slots[-1].raw, name, "类别与指标名称之间缺少分隔符,已拆分"))
    if not name:
        raise ItemError(f"第{item.number}项缺少指标名称: {norm[:60]}")

    values: dict[str, str] = {}
    duplicates: dict[str, list[str]] = {}
    seen_annual = False
    for i, m in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(norm)
        value = _trim(norm[m.end() : end])
        kind = _label_kind(m.group(1))
        if kind == "period" and seen_annual:
            rest = norm[labels[i - 1].end() :]
            notes.append(f"第{item.number}项之后似有一项指标的名称和类别丢失(OCR合并),未收录: {rest[:80]}")
            break
        seen_annual = seen_annual or kind == "annual"
        for k in ("period", "annual") if kind == "both" else (kind,):
            if k not in values:
                values[k] = value
            else:
                duplicates.setdefault(k, []).append(value)
    for k, extra in duplicates.items():
        what = "实施周期指标值" if k == "period" else "年度指标值"
        repairs.append(Repair(f"{k}_value", ";".join(extra), values[k], f"忽略重复的{what}片段({len(extra)}处)"))
        other = [v for v in extra if v != values[k]]
        if other and not notes:
            notes.append(f"第{item.number}项的{what}出现了不同的内容,可能混入了另一项指标(OCR合并),已保留第一个: {other[0][:60]}")
    _repair_values(values, repairs)
    return ParsedItem(
        number=item.number,
        level1=level1,
        level2=level2,
        indicator=name,
        period_value=values.get("period", ""),
        annual_value=values.get("annual", ""),
        text=item.raw or item.text,
        repairs=repairs,
        notes=notes,
    )
