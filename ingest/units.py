"""Amounts and indicator values: units, words around numbers, operator / number / unit parts.

Amounts are stored in 万元 whatever the document prints: `3,309,840.00` under `金额单位:元` is
330.984 万元, `250万` is 250 万元, `854万(其中高标准农田建设400万元,…)` is 854 万元 with the words kept
as a note. The printed text and its unit stay on the record.

Values are joined from split columns (`≥` + `95` + `%` → `≥95%`) and split back into parts
(operator, number, unit) when a value reads as a simple comparison, so audits can compare them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ingest.normalize import clean, clean_value

DEFAULT_UNIT = "万元"
# How many 万元 one printed unit is.
UNIT_FACTORS: dict[str, float] = {"元": 1e-4, "千元": 0.1, "万元": 1.0, "万": 1.0, "百万元": 100.0, "亿元": 1e4, "亿": 1e4}
_UNIT_WORD = "百万元|亿元|千元|万元|元|万|亿"
# Where a document states its unit: `单位:万元`, `金额单位:元`, `资金情况(万元)`.
_STATED = re.compile(r"(?:金额|资金|货币)?单位\s*[:]\s*(" + _UNIT_WORD + r")(?![\u4e00-\u9fff])|[(]\s*(" + _UNIT_WORD + r")\s*[)]")
_EMPTY = {"", "-", "/", "—", "--", "无", "0.00元"}
_MONEY = re.compile(
    r"^(?:人民币|RMB|￥|¥)?(?P<num>[+-]?\d+(?:\.\d+)?)(?P<unit>" + _UNIT_WORD + r")?(?P<rest>.*)$"
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")

# Value operators as printed → one spelling.
OPERATORS: dict[str, str] = {
    "≥": "≥", ">=": "≥", "=>": "≥", "≧": "≥", "大于等于": "≥", "大于或等于": "≥", "不低于": "≥", "不少于": "≥", "不小于": "≥",
    "≤": "≤", "<=": "≤", "=<": "≤", "≦": "≤", "小于等于": "≤", "小于或等于": "≤", "不高于": "≤", "不超过": "≤", "不多于": "≤",
    "不大于": "≤", "=": "=", "＝": "=", "等于": "=", ">": ">", "大于": ">", "高于": ">", "<": "<", "小于": "<", "低于": "<",
}
DIRECTIONS = ("正向指标", "反向指标", "正向", "反向", "中性指标", "中性")
# Words printed where an amount is not known yet: an amount cell, never a name.
AMOUNT_PLACEHOLDERS = ("待定", "见附件", "另行下达", "据实结算", "暂无", "待下达", "以实际为准", "详见附件")
NATURES = ("定量指标", "定性指标", "定量", "定性")
# Qualitative values the templates print for 定性 indicators (what a phrase value says, not a name).
VALUE_PHRASES = (
    "稳步提高", "逐步提高", "有所提高", "明显提高", "显著提高", "稳步提升", "逐步提升", "有效提升", "明显提升", "显著提升",
    "持续提升", "明显改善", "逐步改善", "有效改善", "持续改善", "效果明显", "成效明显", "效果显著", "成效显著", "有效保障",
    "应保尽保", "按时完成", "全部完成", "基本完成", "达到预期", "符合要求", "符合标准", "逐年增加", "长期有效",
)
_OPERATOR_RE = re.compile("^(" + "|".join(sorted(map(re.escape, OPERATORS), key=len, reverse=True)) + ")")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_PARTS = re.compile(r"^(?P<num>[+-]?\d+(?:\.\d+)?)(?P<unit>[^\d≥≤=<>]{0,8})$")
_UNIT_TEXT = re.compile(r"^[%‰℃°a-zA-Z\u4e00-\u9fff/²³·*]{1,8}$")
# Excel serial day numbers of the years 2000–2060: a value like 44,561 printed where a date belongs.
SERIAL_RANGE = (36526, 58806)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Money:
    """A printed amount read into 万元."""

    value: float | None  # in 万元; None for an empty cell
    text: str  # the cell as printed
    unit: str  # the unit the printed number is in (元, 万元, 万 …)
    note: str = ""  # words printed with the number (`其中…`)
    unit_in_cell: bool = False  # the cell names its unit itself (`250万`)


def stated_unit(text: str) -> str | None:
    """The amount unit a line states (`单位:万元`, `金额单位:元`, `(万元)`), or None."""
    m = _STATED.search(clean(text))
    if not m:
        return None
    return m.group(1) or m.group(2)


def number_text(text: str) -> str:
    """A printed number without spaces and thousands separators: `3,309, 840.00` → `3309840.00`."""
    return _THOUSANDS.sub("", clean(text))


def parse_money(text: str, unit: str = DEFAULT_UNIT) -> Money:
    """Read an amount cell; `unit` is the document's when the cell names none. ValueError when no amount."""
    norm = number_text(text)
    if norm in _EMPTY:
        return Money(None, text.strip(), unit)
    m = _MONEY.match(norm)
    if not m:
        raise ValueError(f"不是金额: {text.strip()[:40]!r}")
    rest = m.group("rest").strip()
    cell_unit = m.group("unit") or ""
    if rest:
        if not rest.startswith(("(", "[", ",", ";", "其中", "含", "包括", "(其中")):
            raise ValueError(f"不是金额: {text.strip()[:40]!r}")
        rest = rest.strip("()[],; ")
    used = cell_unit or unit
    factor = UNIT_FACTORS.get(used, 1.0)
    value = round(float(m.group("num")) * factor, 6)
    return Money(value, text.strip(), used, rest, bool(cell_unit))


def is_money(text: str) -> bool:
    try:
        return parse_money(text).value is not None
    except ValueError:
        return False


def operator_of(text: str) -> str:
    """The operator a cell holds (`>=` → `≥`), or "" when it is not one."""
    norm = clean(text)
    return OPERATORS.get(norm, "")


def is_number(text: str) -> bool:
    return bool(_NUMBER.match(number_text(text)))


COMMON_UNITS = frozenset({
    "平方米", "立方米", "公里", "千米", "千瓦时", "工作日", "个工作日", "万元", "人次", "批次", "户次", "家次", "课时", "学时",
    "小时", "分钟", "公顷", "万人", "万份", "百分比", "套", "件", "份",
})


def is_unit_text(text: str) -> bool:
    """A measurement unit cell: `%`, `个`, `人/次`, `万元/人`, `平方米` (not a short word such as `优良` or `有效节约`)."""
    norm = clean(text)
    if not _UNIT_TEXT.match(norm) or operator_of(norm) or norm in DIRECTIONS + NATURES:
        return False
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in norm)
    return han <= 2 or norm in COMMON_UNITS or "/" in norm or "%" in norm


def normal_value(text: str) -> str:
    """A value as fields keep it: cleaned, `>=`/`<=` written `≥`/`≤`."""
    value = clean_value(text)
    m = _OPERATOR_RE.match(value)
    if m and m.group(1) in (">=", "=>", "<=", "=<"):
        value = OPERATORS[m.group(1)] + value[len(m.group(1)) :].lstrip()
    return value


@dataclass(frozen=True)
class ValueParts:
    operator: str = ""
    number: float | None = None
    unit: str = ""


def value_parts(value: str) -> ValueParts:
    """Operator, number and unit of a simple value (`≥95%`, `10辆`, `<=475元/亩`); empty parts otherwise."""
    norm = clean(value)
    m = _OPERATOR_RE.match(norm)
    operator = ""
    if m:
        operator = OPERATORS[m.group(1)]
        norm = norm[len(m.group(1)) :].strip()
    parts = _PARTS.match(number_text(norm))
    if not parts:
        return ValueParts(operator) if operator and not norm else ValueParts()
    return ValueParts(operator, float(parts.group("num")), parts.group("unit"))


def join_value(operator: str, number: str, unit: str) -> str:
    """The value a reader says from split columns: `≥` `95` `%` → `≥95%` (a unit already printed is not repeated)."""
    op, num, u = clean(operator), clean(number), clean(unit)
    if op and num.startswith(op):
        op = ""
    if u and (num.endswith(u) or is_number(u) or u == num):
        u = ""
    if u and ((parts := value_parts(num)).number is None or parts.unit):
        u = ""  # a unit qualifies a bare number: not a phrase (`应保尽保`), nor a number with its own (`28.8万元`)
    return f"{op}{num}{u}"


def serial_date(number: str) -> dt.date | None:
    """The date an Excel serial day number stands for (44,561 → 2021-12-31), when it is in range."""
    text = number_text(number)
    if not re.fullmatch(r"\d{5}", text):
        return None
    n = int(text)
    if not SERIAL_RANGE[0] <= n <= SERIAL_RANGE[1]:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=n)
