"""The header block above a table: titles, `单位:万元`, and key/value labels of a 申报表 form.

    项目名称 | 雾炮车降尘抑尘服务 | 预算部门 | 湘潭市环境卫生管理处
    资金情况(万元) 年度资金总额: 10
    总体目标 年度目标 年度总体目标完成情况        (labels only: the next row holds the values)
    为水濂村带来观光游客不少于6万人…

Labels come from ingest.headers (KEY_WORDS, IGNORED_KEYS). In a row whose cells are real, each
cell is a label or a value; in a row split at single spaces, the value of a label is every token
up to the next label. Department and year are read from here (content first); the file name is
the last resort, and a warning says so.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.headers import (
    AMOUNT_ROLES,
    IGNORED_KEYS,
    KEY_WORDS,
    OVERALL_WORDS,
    SELF_EVALUATION_WORDS,
    header_form,
    is_title,
    key_role,
)
from ingest.normalize import clean, clean_value, simplify_chars
from ingest.table import Row
from ingest.units import is_money, stated_unit

_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)")
_TITLE_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)\s*年")
_STANDALONE_YEAR = re.compile(r"^[(\[]?\s*(20[0-4]\d)\s*年度?\s*[)\]]?$")
_DATE_LINE = re.compile(r"(发布|归档|填报|打印|更新|浏览)(时间|日期)|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_CODE = re.compile(r"^\s*(?:[(\[]\s*\d+\s*[)\]]|\d{2,}\s*[-_.]|\d{3,}(?=[\u4e00-\u9fff]))\s*")
_SUFFIX = re.compile(r"[(](部门|单位|本级|盖章|公章)[)]\s*$")
_OWN_UNIT = "本级"
# A budget system's project code: a long run of digits and capitals (`51000021R000000019951`) and a dash.
_PROJECT_CODE = re.compile(r"^(?=(?:[A-Z]*\d){8})[0-9A-Z]{10,}\s*[-_—]\s*")
_LONG_LINE = 300
_GOALS = ("goal", "period_goal")
# `总体目标` heads both the 实施期 and the 年度 goal in some templates: its value is the goal only when no
# 年度目标 (or other specific goal label) gives one.
_GENERAL_LABELS = frozenset({"总体目标"})
PLACEHOLDERS = {"", "(盖章)", "(签字)", "(公章)", "盖章", "签字", "/", "-", "无"}


@dataclass
class KeyValue:
    value: str
    line: int
    text: str  # the row, verbatim


@dataclass
class HeaderBlock:
    """What the rows above a table say about it."""

    keys: dict[str, KeyValue] = field(default_factory=dict)  # field -> its first value
    departments: list[tuple[str, KeyValue]] = field(default_factory=list)  # (label, value) of every department label
    amounts: dict[str, list[KeyValue]] = field(default_factory=dict)  # amount field -> every value a label gave it
    titles: list[tuple[int, str]] = field(default_factory=list)
    unit: str = ""  # the amount unit stated ("" when none)
    lines: list[int] = field(default_factory=list)  # rows read (all accounted as header)
    general: set[str] = field(default_factory=set)  # fields a general label gave: a specific one later wins

    def get(self, role: str) -> str:
        kv = self.keys.get(role)
        return kv.value if kv else ""

    @property
    def kind(self) -> str:
        """project / overall / self_evaluation, from the titles."""
        titles = "".join(t for _, t in self.titles)
        if any(w in titles for w in SELF_EVALUATION_WORDS):
            return "self_evaluation"
        if any(w in titles for w in OVERALL_WORDS):
            return "overall"
        return "project"


def strip_code(name: str) -> str:
    """An organisation without its budget code or remark: `(433)乌海市供销合作社联合社(部门)` → `乌海市供销合作社联合社`,
    `青神县发展和改革局本级` → `青神县发展和改革局` (the budget system's name for a department's own unit)."""
    from ingest.taxonomy import UNIT_SUFFIXES

    out = _CODE.sub("", clean(name))
    out = _SUFFIX.sub("", out)
    if out.endswith(_OWN_UNIT) and out.removesuffix(_OWN_UNIT).endswith(UNIT_SUFFIXES):
        out = out.removesuffix(_OWN_UNIT)
    return out.strip(" :;,")


def project_name(text: str) -> str:
    """A project's name without the budget system's project code printed before it
    (`51000021R000000019951-工资性支出` → `工资性支出`)."""
    return drop_project_code(clean_value(text))


def drop_project_code(name: str) -> str:
    m = _PROJECT_CODE.match(name)
    return name[m.end():] if m and len(name) > m.end() else name


def _tokens(row: Row) -> list[str]:
    """The row's cells as label/value tokens; `key:value` cells split at the colon, labels run
    together with their values (`项目主管部门青山区教育局项目执行单位化工区学校`) split at the labels."""
    out: list[str] = []
    cells = row.cells if not row.exact else row.filled
    for cell in cells:
        text = cell.strip()
        splits = row.exact and key_role(text) is None and ":" in clean(text) and re.search(r"\s", text)
        # `年度资金总额:10 其他资金:0` in one cell; a number OCR split at its point (`68438. 00`) stays whole.
        parts = _SPACED_NUMBER.sub(r"\1\2", text).split() if splits else [text]
        for part in parts:
            norm = clean(part)
            key, sep, value = norm.partition(":")
            # A token right after a label is that label's value: it is never cut at words inside it
            # (`项目名称 项目资金管理培训`).
            after_label = bool(out) and key_role(out[-1]) is not None
            if sep and value and key_role(key) is not None:
                out += [key + ":", *(split_labels(value) or [value])]  # `其中:财政拨款420392`
            elif not after_label and key_role(part) is None and not is_title(norm) and (run := split_labels(norm)):
                out += run
            else:
                out.append(part)
    return _joined_labels(out)


def _joined_labels(tokens: list[str]) -> list[str]:
    """Tokens with a label the copy split at a space (`年度主要目标 和成果`, a wrapped cell) joined back."""
    out: list[str] = []
    for token in tokens:
        if out and key_role(out[-1]) is not None and key_role(token) is None and key_role(out[-1] + token):
            out[-1] += token
        else:
            out.append(token)
    return out


def labels_of(row: Row) -> set[str]:
    """The fields a row's form labels name (`项目名称 | … | 主管部门 | …` → project, department)."""
    return {r for r in map(key_role, _tokens(row)) if r}


_LEAD = re.compile(r"(其中|含)[:]?")
_SPACED_NUMBER = re.compile(r"(\d[.,])\s+(\d)")
_MIN_RUN_LABEL = 4  # shorter labels (`单位`, `年度`) are ordinary words inside values


@lru_cache(maxsize=1)
def _run_labels() -> tuple[str, ...]:
    words = {w for ws in KEY_WORDS.values() for w in ws} | set(IGNORED_KEYS)
    return tuple(sorted((w for w in words if len(w) >= _MIN_RUN_LABEL), key=len, reverse=True))


def split_labels(text: str) -> list[str]:
    """A cell that starts with a form label and runs on into its value (and maybe further labels and
    values), as a copy without cell separators prints it; [] when it does not start with a label."""
    labels = _run_labels()
    norm = simplify_chars(text)
    lead = m.end() if (m := _LEAD.match(norm)) else 0  # `其中:财政拨款…`
    first = next((w for w in labels if norm.startswith(w, lead)), "")
    if not first or len(norm) == lead + len(first):
        return []
    first = norm[: lead + len(first)]
    out: list[str] = [text[: len(first)]]
    start = i = len(first)
    while i < len(norm):
        label = next((w for w in labels if norm.startswith(w, i)), "")
        if label:
            if i > start:
                out.append(text[start:i])
            out.append(text[i : i + len(label)])
            i += len(label)
            start = i
        else:
            i += 1
    if start < len(norm):
        out.append(text[start:])
    # `年度资金总额:420392`: the colon belongs to the label
    return [t[1:] if n and t.startswith(":") and len(t) > 1 and key_role(out[n - 1]) is not None else t for n, t in enumerate(out)]


def read_block(rows: list[Row]) -> HeaderBlock:
    """Titles, unit and key/values of the rows above a table (or of a form's header block)."""
    block = HeaderBlock()
    pending: list[tuple[str, str]] = []  # (field, label) of labels without values: the next row holds the values
    labels_only = False  # the row before held labels and nothing else (a form copied one cell per line)
    for row in rows:
        if not row.filled:
            continue
        block.lines.append(row.line)
        text = row.text or " ".join(row.filled)
        unit = stated_unit(text)
        if unit and not block.unit:
            block.unit = unit
        tokens = _tokens(row)
        roles = [key_role(t) for t in tokens]
        if not any(r is not None for r in roles):
            if pending and not _DATE_LINE.search(text):
                values = [t for t in (row.filled if row.exact else [row.join(0, len(row.cells))])]
                wanted = [p for p in pending if p[0]]
                if len(values) != len(wanted):
                    # One value for several waiting labels: the first label it can be the value of (an
                    # amount label takes an amount; `其他资金` left empty does not take the goal below it).
                    values = [" ".join(values)]
                    fits = [p for p in wanted if (p[0] in AMOUNT_ROLES) == is_money(values[0])]
                    wanted = fits or wanted
                for (role, label), value in zip(wanted, values, strict=False):
                    _put(block, role, value, row, label)
                pending = []
                labels_only = False
                continue
            shown = " ".join(row.filled)
            if is_title(shown) or _STANDALONE_YEAR.match(clean(shown)):
                block.titles.append((row.line, clean(shown)))
            continue
        carried = pending if labels_only else []  # `总体目标` / `年度目标` / `年度总体目标完成情况`, one a line
        pending = []
        run: list[tuple[str, str]] = []  # labels without values since the last label that had one
        i = 0
        found_value = False
        while i < len(tokens):
            role = roles[i]
            if role is None:
                i += 1
                continue
            j = i + 1
            while j < len(tokens) and roles[j] is None:
                j += 1
            # In real cells a label's value is the one cell after it: more unlabelled cells are the
            # labels and values of fields we do not know, not more of this value.
            value = (tokens[i + 1] if j > i + 1 and row.exact else " ".join(tokens[i + 1 : j])).strip()
            waiting = next((p for p in run if p[0] in _GOALS), None)
            if value and not role and waiting is not None:
                # `总体目标 年度目标 年度总体目标完成情况 <目标>`: a row of labels over a row of values,
                # flattened onto one line (or one cell a line); the text after the labels is the goal's,
                # not the last label's (a label we do not keep, such as 年度目标完成情况).
                pending.remove(waiting)
                role, label = waiting
            else:
                label = tokens[i]
            if value:
                found_value = True
                if role:
                    _put(block, role, value, row, label)
                run = []
            else:
                pending.append((role, tokens[i]))
                run.append((role, tokens[i]))
            i = j
        pending = [p for p in pending if p[0]] if found_value else carried + pending
        labels_only = not found_value
    for role, values in block.amounts.items():
        block.keys[role] = _amount_value(values)
    return block


_FIGURE = re.compile(r"[\d,]*\d(?:\.\d+)?%?")


def _amount_value(values: list[KeyValue]) -> KeyValue:
    """The amount a form states: the first value that reads as one (a row of figures gives its first)."""
    for kv in values:
        tokens = kv.value.split()
        # `0 0 0 10 0 0` is a row of figures (budget, executed, score…), not one number OCR split at
        # spaces as `41. 73` is: every token is a whole number by itself.
        figures = len(tokens) > 1 and all(_FIGURE.fullmatch(t) for t in tokens)
        for text in (tokens[0],) if figures else (kv.value, *tokens[:1]):
            if is_money(text):
                return KeyValue(text, kv.line, kv.text)
    return values[0]


def is_placeholder(value: str) -> bool:
    """A cell holding nothing: empty, `/`, `(盖章)`, or several of them (`/ /`: a row of empty cells run together)."""
    parts = value.split()
    return clean(value) in PLACEHOLDERS or (len(parts) > 1 and all(clean(p) in PLACEHOLDERS for p in parts))


def _put(block: HeaderBlock, role: str, value: str, row: Row, label: str = "") -> None:
    value = value.strip()
    if is_placeholder(value):
        return
    kv = KeyValue(value, row.line, row.text or " ".join(row.filled))
    if role == "department":
        block.departments.append((label, kv))
    if role in AMOUNT_ROLES:
        block.amounts.setdefault(role, []).append(kv)
        return
    general = header_form(label) in _GENERAL_LABELS
    if role not in block.keys or (role in block.general and not general):
        block.keys[role] = kv
        if general:
            block.general.add(role)
        else:
            block.general.discard(role)


def department_of(block: HeaderBlock) -> tuple[str, str]:
    """(department, the label it came from) from a form's labels, most specific first."""
    from ingest.headers import KEY_WORDS

    order = KEY_WORDS["department"]

    def rank(item: tuple[str, KeyValue]) -> int:
        label = header_form(item[0])
        if label in order:  # `业务主管部门` is its own label, not a kind of `主管部门`
            return order.index(label)
        return next((n for n, w in enumerate(order) if w in label), len(order))

    named = [(simplify_chars(name), header_form(label)) for label, kv in sorted(block.departments, key=rank)
             if (name := strip_code(kv.value)) and clean(name) not in PLACEHOLDERS]
    strong = next((n for n in named if not weak_department(n[0])), None)
    if strong is not None:
        return strong
    if named:
        # `主管部门 县财政局` (which county's?), `主管部门及代码 经济建设科` (a section of an office): the
        # organisation the title or the 实施单位 names is the department; the label's value only if none does.
        if titled := title_department(block):
            return titled, "标题"
        implementer = simplify_chars(strip_code(block.get("implementer")))
        if implementer and not weak_department(implementer):
            return implementer, "实施单位"
        return named[0]
    return "", ""


_RELATIVE_ORG = re.compile(r"^[省市县区乡镇][\u4e00-\u9fff]{1,7}$")
_SECTION_ENDS = ("科", "股")


def weak_department(name: str) -> bool:
    """A department label's value that names no department by itself: a place-less name
    (`县财政局`, `区林业局`) or a section inside an office (`经济建设科`)."""
    norm = clean(name)
    return bool(_RELATIVE_ORG.match(norm)) or norm.endswith(_SECTION_ENDS)


_TITLE_ORG = re.compile(r"^(?P<org>[\u4e00-\u9fff()]{2,40}?)\s*(?:20[0-4]\d)\s*年")


def title_department(block: HeaderBlock) -> str:
    """The organisation a title starts with (`湘潭市环境卫生管理处2023年…申报表`), or ""."""
    from ingest.taxonomy import UNIT_SUFFIXES

    for _, title in block.titles:
        m = _TITLE_ORG.match(clean(title))
        if m and m.group("org").endswith(UNIT_SUFFIXES):
            return simplify_chars(m.group("org"))
    return ""


def year_of(block: HeaderBlock, body: str) -> tuple[int, str]:
    """(year, where it came from): a title first, then a 年度 label, then the body's most frequent year."""
    for _, title in block.titles:
        m = _TITLE_YEAR.search(title) or _YEAR.search(title)
        if m:
            return int(m.group(1)), "标题"
    label = block.get("year")
    if label and (m := _YEAR.search(label)):
        return int(m.group(1)), "年度"
    # Date lines (发布时间 …) say when the page was made, not the budget year; a whole form flattened
    # onto one long line is not a date line for holding one.
    years = [m.group(1) for line in body.splitlines() if len(line) > _LONG_LINE or not _DATE_LINE.search(line)
             for m in _TITLE_YEAR.finditer(line)]
    if years:
        return int(Counter(years).most_common(1)[0][0]), "正文"
    return 0, ""


def year_of_name(source: str) -> int:
    m = _YEAR.search(source)
    return int(m.group(1)) if m else 0
