"""The indicator grid: one indicator a row, shared by every grid layout (ingest/layouts).

    单位名称 | 项目名称 | 预算数 | 年度目标 | 一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 度量单位 | 权重 | 指标方向性

`analyze` finds a sheet's header (a row naming 一级/二级/三级指标, possibly under a row of group
titles) and reads the block above it (ingest.keyvalue). `GridReader` walks the rows below: each
row's cells are placed in the header's columns (by position in real grids, by content in text
copies: ingest.align), then the row becomes a project, an indicator of the current project, a
total, or a header / blank line — or a warning. A continuation row is attached only to a project
whose own row was read; rows after a project row that could not be read are quarantined into one
warning that lists them, never given to the project before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from ingest.align import Column, aligned, positional, shifted
from ingest.builder import RecordBuilder
from ingest.headers import AMOUNT_ROLES, LEVEL_ROLES, TOTAL_WORDS, VALUE_ROLES, column_role, header_form, is_furniture
from ingest.indicators import ParsedItem, is_known_variant, resolve_categories
from ingest.keyvalue import HeaderBlock, drop_project_code, read_block
from ingest.limits import budget
from ingest.normalize import clean, clean_value, has_spaced_number, repair_bounded_rate
from ingest.records import ParsedFile, ParseWarning, Project, Repair, RowFate, TotalKind, TotalRow, WarningKind
from ingest.table import Row, Sheet
from ingest.taxonomy import GRAND_TOTAL_NAMES, HEADER_FILLER, department_total
from ingest.units import (
    DIRECTIONS,
    NATURES,
    Money,
    is_number,
    join_value,
    normal_value,
    number_text,
    operator_of,
    parse_money,
    serial_date,
    value_parts,
)

HEADER_SEARCH_ROWS = 80
_DATE_WORDS = re.compile(r"时间|日期|时限|期限|截止|完成前|之前|到位")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# A score range printed under a category cell that wrapped (`产出指标` / `(40-50)分`): not a row of data.
_SCORE_NOTE = re.compile(r"(?=.*[(分])[(]?\d+(?:[-~]\d+)?[)]?分?[)]?")
_BESIDE_VALUE = ("qualifier", "unit", "weight", "note", "standard", "score", "deviation")


def _filler(text: str) -> bool:
    """A header cell made only of group-title words (`资金(万元)`, `序号`)."""
    rest = header_form(text)
    for word in sorted(HEADER_FILLER, key=len, reverse=True):
        rest = rest.replace(word, "")
    return not rest


def is_header_like(row: Row) -> bool:
    """Every cell of the row is a column title or a group-title word."""
    texts = row.filled
    return bool(texts) and all(column_role(t) is not None or _filler(t) for t in texts)


@dataclass
class Header:
    """A sheet's column header: its rows and what each column holds."""

    first: int  # index into Sheet.rows of the first header row
    last: int  # … and of the last
    columns: list[Column]  # by cell position
    titles: list[str]
    packed: bool = False  # the OCR layout's columns (绩效指标 packed in one cell), not an indicator grid

    @property
    def roles(self) -> set[str]:
        return {c.role for c in self.columns if c.role}

    @property
    def placed(self) -> list[Column]:
        """The columns a row's cells are placed into by content (unknown columns left out)."""
        return [c for c in self.columns if c.role]

    @property
    def width(self) -> int:
        return len(self.columns)


def _roles_of(row: Row) -> set[str]:
    return {r for r in (column_role(c) for c in row.cells) if r}


def _kind(roles: set[str]) -> str:
    """"grid" (an indicator grid's header), "packed" (the OCR layout's columns) or ""."""
    if is_grid_header(roles):
        return "grid"
    if not roles & LEVEL_ROLES and "indicators" in roles and "project" in roles:
        return "packed"
    return ""


def is_grid_header(roles: set[str]) -> bool:
    """Column roles an indicator grid's header names: 一级 and 二级, or the indicator's name with a category
    or a target column beside it (a name with only 实际完成值 / 偏差原因 beside it is words of a run-on
    line that happen to contain titles, not a header)."""
    named = "indicator" in roles and bool(roles & ({"level1", "level2"} | set(VALUE_ROLES)))
    return named or {"level1", "level2"} <= roles


def _header_at(rows: list[Row], idx: int) -> Header | None:
    if not _kind(_roles_of(rows[idx])):
        return None
    first = idx
    while first > 0 and rows[first - 1].filled and is_header_like(rows[first - 1]) and len(rows[first - 1].filled) > 1:
        first -= 1
    last = idx
    while last + 1 < len(rows) and is_header_like(rows[last + 1]):
        last += 1
    block = rows[first : last + 1]
    kind = _kind(set().union(*(_roles_of(r) for r in block)))
    width = max(len(r.cells) for r in block)
    columns: list[Column] = []
    titles: list[str] = []
    for col in range(width):
        parts: list[str] = []
        for r in block:
            text = clean(r.cells[col]) if col < len(r.cells) else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        title = "".join(parts)
        role = (column_role(parts[-1]) if parts else None) or column_role(title)
        if kind == "grid" and role == "indicators":
            role = None  # `绩效指标` over the grid is a group title, not the packed column
        columns.append(Column(col, role))
        titles.append(title)
    return Header(first, last, columns, titles, packed=kind == "packed")


def find_header(sheet: Sheet) -> Header | None:
    """The first indicator-grid (or packed-layout) header of a sheet, or None."""
    for idx in range(min(len(sheet.rows), HEADER_SEARCH_ROWS)):
        header = _header_at(sheet.rows, idx)
        if header is not None:
            return header
    return None


def sections(sheet: Sheet) -> list[Sheet]:
    """A sheet holding several forms one after another (one per project, each with its header block
    and grid) as one sheet per form; any other sheet as it is.

    A form starts at a row with a project label (项目名称, 专项资金名称 …) below an earlier grid's
    header, with the title and label rows just above it; a header repeated without one (a page
    break, a multi-project table's own 项目名称 column) belongs to the same table."""
    from ingest.headers import KEY_WORDS, is_title
    from ingest.keyvalue import labels_of

    rows = sheet.rows
    words = KEY_WORDS["project"]
    first = next((i for i, r in enumerate(rows) if _kind(_roles_of(r)) == "grid"), None) if any(
        w in " ".join(r.cells) for r in rows for w in words) else None
    if first is None:
        return [sheet]
    cuts: list[int] = []
    before = first
    for j in range(first + 1, len(rows)):
        row = rows[j]
        text = " ".join(row.cells)
        # A cheap test first: the label's words must be in the row (most rows are data).
        if "(" in text:
            text = clean(text)  # a mirror page's readings (`項(xiàng)目名稱`) hide the words
        if not any(w in text for w in words) or _kind(_roles_of(row)) or "project" not in labels_of(row):
            continue
        start = j
        while start - 1 > before and (not rows[start - 1].filled or is_furniture(rows[start - 1].text)
                                      or is_title(" ".join(rows[start - 1].filled)) or labels_of(rows[start - 1])):
            start -= 1
        if not cuts or start > cuts[-1]:
            cuts.append(start)
        before = j
    if not cuts:
        return [sheet]
    bounds = [0, *cuts, len(rows)]
    return [Sheet(sheet.name, rows[a:b], sheet.positional, sheet.delimiter, sheet.lines) for a, b in pairwise(bounds)]


@dataclass
class Analysis:
    """A sheet, its header, and the block above the header."""

    sheet: Sheet
    header: Header | None
    block: HeaderBlock

    @property
    def roles(self) -> set[str]:
        return self.header.roles if self.header else set()


def analyze(sheet: Sheet) -> Analysis:
    header = find_header(sheet)
    above = sheet.rows[: header.first] if header else sheet.rows[:HEADER_SEARCH_ROWS]
    return Analysis(sheet, header, read_block(above))


# --- walking the rows -------------------------------------------------------------------------


@dataclass
class Fields:
    """A row's cells by the field they hold (a field may have several columns: two 指标性质)."""

    by_role: dict[str, list[str]] = field(default_factory=dict)
    junk: list[str] = field(default_factory=list)

    def get(self, role: str) -> str:
        return next((v for v in self.by_role.get(role, []) if clean(v)), "")

    def all(self, role: str) -> list[str]:
        return [v for v in self.by_role.get(role, []) if clean(v)]


class GridReader:
    """Walks the rows below a header, filling a ParsedFile."""

    def __init__(
        self,
        parsed: ParsedFile,
        builder: RecordBuilder,
        sheet: Sheet,
        header: Header,
        *,
        unit: str,
        project: Project | None = None,
    ) -> None:
        self.parsed = parsed
        self.builder = builder
        self.sheet = sheet
        self.header = header
        self.unit = unit or "万元"
        self.source = parsed.document.source
        self.sheet_note = f"工作表“{sheet.name}”" if sheet.name else ""
        self.fixed = project  # a form's one project: every indicator row is its own
        self.project: Project | None = project
        self.project_name = project.project if project else ""
        self.multi = project is None and "project" in header.roles
        # Some templates (Chongqing's 一般性项目绩效目标表) have no 一级/二级 columns: their indicators have
        # no categories to read, and none is invented.
        self.categorised = bool(header.roles & {"level1", "level2"})
        self.unit_name = project.unit_name if project else parsed.document.department
        self.level1 = self.level2 = ""
        self.item = 0
        self.kept: set[str] = set()
        self.orphan: tuple[int, str] | None = None  # (line, why) of a project row that could not be read
        self.quarantined: list[tuple[int, str]] = []
        self.empty_category: tuple[int, str] | None = None
        self.empty_categories: list[tuple[int, str]] = []
        self.units_seen: list[str] = []
        self.boilerplate: set[str] = set()  # texts of the scoring-rule / remark columns, repeated down the table
        self.guessed: list[int] = []  # lines of indicators whose cells the copy ran together
        self.last_line = 0  # the table's last row of content: a copy cut off ends inside it

    # --- helpers ---

    def warn(self, line: int, message: str, kind: WarningKind, rows: tuple[int, ...] = ()) -> None:
        self.parsed.warnings.append(ParseWarning(self.source, line, f"{self.sheet_note}{message}", kind, rows or (line,)))

    def account(self, row: Row, fate: RowFate) -> None:
        self.parsed.account(row.line, fate)

    def drop(self, row: Row, message: str) -> None:
        self.warn(row.line, message, "row_dropped")
        self.account(row, "dropped")

    def fields(self, row: Row) -> Fields:
        header = self.header
        placed: dict[Column, str] = {}
        if self.sheet.positional:
            by_index: dict[int, str] | None = _by_position(row, header.columns)
        elif row.exact and len(row.cells) >= header.width:
            by_index = positional(row, header.columns)
        elif row.exact:
            by_index = shifted(row, header.columns)  # a web copy: leading rowspan cells dropped, gaps kept
        else:
            by_index = None
        if by_index is not None:
            placed = {header.columns[n]: text for n, text in by_index.items()}
            return _fields(placed, [])
        columns = header.placed
        got, junk = aligned(row, [c.role for c in columns])
        placed = {columns[n]: text for n, text in got.items()}
        return _fields(placed, junk)

    # --- rows ---

    def prescan(self, rows: list[Row]) -> dict[str, str]:
        """The first unit name, amounts and goal the grid's own cells give (a department-level table
        may carry them in its first row instead of a header block)."""
        found: dict[str, str] = {}
        for row in rows[:200]:
            if not row.filled or is_furniture(row.text or " ".join(row.filled)) or is_header_like(row):
                continue
            f = self.fields(row)
            for role in ("unit_name", *AMOUNT_ROLES, "goal", "period_goal"):
                if role not in found and clean(f.get(role)):
                    found[role] = f.get(role)
        return found

    def run(self, rows: list[Row]) -> None:
        content = [r for r in rows if r.filled and not is_furniture(r.text or " ".join(r.filled))]
        self.last_line = content[-1].line if content else 0
        for row in rows:
            budget().tick()
            self.row(row)
        self.finish()

    def row(self, row: Row) -> None:
        if not row.filled:
            self.account(row, "blank")
            return
        if is_furniture(row.text or " ".join(row.filled)) or is_header_like(row) or all(
                _SCORE_NOTE.fullmatch(clean(c)) for c in row.filled):
            self.account(row, "header")
            return
        if clean(row.filled[0]).replace(" ", "") in TOTAL_WORDS and not self.multi:
            self.account(row, "total")  # a form's 合计 / 总分 row: the sum of what is above
            return
        if _form_labels(row):
            self.account(row, "header")  # `评价结论 | … | 存在问题 | … | 项目负责人:`: the form's footer, no indicator
            return
        f = self.fields(row)
        name = drop_project_code(clean(f.get("project")))
        unit_cell = clean(f.get("unit_name"))
        amounts = {k: f.get(k) for k in AMOUNT_ROLES}
        goal = clean(f.get("goal"))
        indicator = clean_value(f.get("indicator"))
        l1, l2 = outer_group(clean(f.get("level1")), clean(f.get("level2")))
        has_values = any(f.get(r) for r in ("value", "period_value", "annual_value", "actual_value"))
        if indicator in self.boilerplate and not has_values:
            # A category row of a web copy whose only other cell is the scoring rule every row repeats
            # (`经济效益指标 | 未达指标值酌情扣分`): that text is the rule, not an indicator's name.
            indicator = ""
        self.boilerplate.update(clean_value(v) for role in ("standard", "note") for v in f.all(role))
        has_indicator = bool(indicator or l1 or l2 or has_values)
        if name in GRAND_TOTAL_NAMES or (not name and unit_cell in GRAND_TOTAL_NAMES):
            self.total(row, name or unit_cell, amounts, "grand")
            return
        if unit_cell:
            self.unit_name = _org(unit_cell)
            if self.unit_name not in self.units_seen:
                self.units_seen.append(self.unit_name)
        fate: RowFate = "indicator"
        if self.multi:
            if name and name != self.project_name:
                if not has_indicator and not goal:
                    if all(not clean(v) for v in amounts.values()):
                        self.drop(row, f"第{row.line}行只有名称“{name}”,既无金额也无指标,未收录")
                    else:
                        self.total(row, _org(name), amounts, "unit")
                    return
                self.start_project(row, name, amounts, goal, clean(f.get("period_goal")))
                fate = "project"
            elif not name and not has_indicator and not goal and any(clean(v) for v in amounts.values()):
                if unit_cell:
                    self.total(row, _org(unit_cell), amounts, "unit")
                else:
                    self.drop(row, f"第{row.line}行有金额但没有项目或单位名称,未收录")
                return
            elif not name and (goal or any(clean(v) for v in amounts.values())):
                # A project's own row whose name was lost: its rows must not go to the project above.
                self.lose_project(row, "项目名称缺失")
                self.quarantine(row, indicator or goal)
                return
        if self.project is None:
            if has_indicator or goal:
                self.quarantine(row, indicator or l2 or l1)
            else:
                self.drop(row, f"第{row.line}行无法识别(不是指标行,也不是项目行),未收录: {clean(row.text)[:40]}")
            return
        if not has_indicator:
            if fate == "project":
                self.warn(row.line, f"“{name}”没有绩效指标", "layout")
                self.account(row, fate)
            else:
                self.drop(row, f"第{row.line}行属于“{self.project_name}”,但没有指标内容,未收录: {clean(row.text)[:40]}")
            return
        kept = self.indicator(row, f, indicator, l1, l2, new=fate == "project")
        if kept and row.guessed:
            self.guessed.append(row.line)
        self.account(row, fate if kept or fate == "project" else ("blank" if kept is None else "dropped"))

    def start_project(self, row: Row, name: str, cells: dict[str, str], goal: str, period_goal: str) -> None:
        self.flush_empty_category()
        self.flush_quarantine()
        amounts, extra, repairs = self.read_amounts(row, name, cells)
        project = self.builder.project(
            line=row.line, name=name, amounts=amounts, goal=goal, text=row.text, unit_name=self.unit_name, repairs=repairs,
            period_goal=period_goal, **extra,
        )
        project.sheet = self.sheet.name
        self.parsed.projects.append(project)
        self.project = project
        self.project_name = name
        self.item = 0
        self.level1 = self.level2 = ""
        self.kept = set()
        self.orphan = None

    def read_amounts(self, row: Row, name: str, cells: dict[str, str]) -> tuple[dict[str, float | None], dict, list[Repair]]:
        """Amounts in 万元 and the project fields describing them; an unreadable amount is a warning, not a lost row."""
        amounts: dict[str, float | None] = {}
        extra: dict = {"flags": []}
        repairs: list[Repair] = []
        for key in AMOUNT_ROLES:
            cell = cells.get(key, "")
            try:
                money = parse_money(cell, self.unit)
            except ValueError:
                amounts[key] = None
                self.warn(row.line, f"“{name}”的金额“{clean(cell)[:30]}”无法识别,金额按空值收录", "amount")
                if "amount_unreadable" not in extra["flags"]:
                    extra["flags"].append("amount_unreadable")
                if key == "total":
                    extra["amount_text"] = cell.strip()
                continue
            amounts[key] = money.value
            if money.value is not None and has_spaced_number(cell):
                repairs.append(Repair(key, cell.strip(), f"{money.value:.2f}", "去除数字中的OCR空格"))
            if key == "total" and money.value is not None:
                extra.update(amount_text=money.text, amount_unit=money.unit, amount_note=money.note)
                if money.unit_in_cell or money.note:
                    extra["flags"].append("amount_words")
        return amounts, extra, repairs

    def lose_project(self, row: Row, why: str) -> None:
        self.flush_empty_category()
        self.flush_quarantine()
        self.project = None
        self.project_name = ""
        self.orphan = (row.line, why)

    def quarantine(self, row: Row, what: str) -> None:
        self.quarantined.append((row.line, clean(what)[:30] or clean(row.text)[:30]))
        self.account(row, "quarantined")

    def flush_quarantine(self) -> None:
        if not self.quarantined:
            return
        lines = tuple(n for n, _ in self.quarantined)
        listed = "、".join(f"第{n}行“{w}”" for n, w in self.quarantined[:30])
        more = f"等{len(lines)}行" if len(lines) > 30 else f"共{len(lines)}行"
        why = f"第{self.orphan[0]}行的项目无法读取({self.orphan[1]})" if self.orphan else "这些行之前没有可读取的项目行"
        self.warn(lines[0], f"{why},其后的指标行未收录,以免误归到其他项目: {listed}({more})", "quarantined",
                  (self.orphan[0], *lines) if self.orphan else lines)
        self.quarantined = []

    def flush_empty_category(self) -> None:
        if self.empty_category is not None:
            self.empty_categories.append(self.empty_category)
            self.empty_category = None

    def finish(self) -> None:
        self.flush_empty_category()
        self.flush_quarantine()
        if self.guessed:
            lines = tuple(self.guessed)
            listed = "、".join(f"第{n}行" for n in lines[:30])
            self.warn(lines[0], f"{listed}的单元格在复制时连在了一起,类别、名称与指标值是按内容拆开的,请核对", "layout", lines)
        if self.empty_categories:
            lines = tuple(n for n, _ in self.empty_categories)
            names = "、".join(f"第{n}行“{c}”" for n, c in self.empty_categories)
            self.warn(lines[0], f"表中列出但未填写指标的类别: {names}", "empty_category", lines)

    def total(self, row: Row, name: str, cells: dict[str, str], kind: TotalKind) -> None:
        doc = self.parsed.document
        amounts: dict[str, float | None] = {}
        for key in AMOUNT_ROLES:
            try:
                amounts[key] = parse_money(cells.get(key, ""), self.unit).value
            except ValueError:
                amounts[key] = None
                self.warn(row.line, f"“{name}”的金额“{clean(cells.get(key, ''))[:30]}”无法识别", "amount")
        if kind == "unit" and doc.grand_total is None and department_total(name):
            kind = "grand"
        self.parsed.totals.append(TotalRow(row.line, name, kind, amounts, row.text, self.sheet.name))
        if kind == "grand":
            doc.grand_total = amounts["total"]
        else:
            doc.subtotals[name] = amounts["total"] or 0.0
            self.unit_name = name
        self.account(row, "total" if kind == "grand" else "subtotal")

    # --- indicators ---

    def indicator(self, row: Row, f: Fields, name: str, l1: str, l2: str, *, new: bool) -> bool | None:
        """Add the row's indicator: True; False after a warning; None for a category row without one."""
        project = self.project
        assert project is not None
        kind: WarningKind = "item_dropped" if new else "row_dropped"
        if l1 or l2:
            self.flush_empty_category()  # a new category: the one before it had no indicator
        if l1:
            if l1 != self.level1:
                self.level2 = ""
            self.level1 = l1
        if l2:
            self.level2 = l2
        has_values = any(f.get(r) for r in ("value", "period_value", "annual_value", "actual_value"))
        if name and not has_values and len(_HAN.findall(name)) < 2 and not re.search(r"[A-Za-z]{2}", name):
            self.warn(row.line, f"第{row.line}行“{name}”既不像指标名称也没有指标值,未收录", kind)
            return False
        if not name and not has_values:
            self.flush_empty_category()
            self.empty_category = (row.line, self.level2 or self.level1)
            return None
        level1, level2, repairs = resolve_categories(self.level1, self.level2) if self.categorised else (None, None, [])
        if level1 is None and self.categorised:
            what = f"{self.level1 or '空'}/{self.level2 or '空'}"
            self.warn(row.line, f"第{row.line}行“{project.project}”的指标“{name}”无法识别一级/二级指标({what}),未收录", kind)
            return False
        if not name:
            self.warn(row.line, f"第{row.line}行“{project.project}”缺少三级指标名称,未收录: {clean(row.text)[:40]}", kind)
            return False
        self.empty_category = None
        if not has_values and not any(f.get(r) for r in _BESIDE_VALUE):
            if row.line == self.last_line:  # the copy ends inside this row (`生态(t`, `数量指`): not an indicator
                self.warn(row.line, f"第{row.line}行“{name}”只有名称,表格在此截断,未收录", kind)
                return False
            self.warn(row.line, f"第{row.line}行“{project.project}”的指标“{name}”只有名称,没有指标值(表格可能在此截断)", "no_value")
        flags: list[str] = ["known_variant"] if is_known_variant(self.level1, level2) else []
        values = self.values(f, name, level2.code if level2 else "", repairs, flags)
        key = f"{level2.code if level2 else ''}|{name}|{values['period_value']}"
        if key in self.kept:
            kind = "duplicate" if new else "row_dropped"
            self.warn(row.line, f"第{row.line}行“{project.project}”的指标“{name}”重复出现,只收录一次", kind)
            return False
        self.kept.add(key)
        self.item += 1
        text = row.text
        item = ParsedItem(self.item, level1, level2, name, values.pop("period_value"), values.pop("annual_value"), text, repairs)
        record = self.builder.indicator(project=project.project, line=row.line, item=item, flags=flags, **values)
        record.sheet = self.sheet.name
        self.parsed.indicators.append(record)
        return True

    def values(self, f: Fields, name: str, level2_code: str, repairs: list[Repair], flags: list[str]) -> dict:
        """The value fields of an indicator row: split columns joined, parts, a serial date read as a date."""
        operator = direction = printed_op = ""
        notes: list[str] = []
        for q in f.all("qualifier"):
            q = clean(q)
            if operator_of(q):
                if not operator:
                    operator, printed_op = operator_of(q), q
            elif q in DIRECTIONS:
                direction = direction or q.removesuffix("指标")
            elif q in NATURES:
                notes.append(q)
            else:
                notes.append(q)
        unit = clean(f.get("unit"))
        split = bool(operator or unit)
        printed: dict[str, str] = {}
        read: dict[str, str] = {}
        dated = ""
        for role in ("value", "period_value", "annual_value"):
            cell = f.get(role)
            if not clean(cell):
                continue
            shown = join_value(printed_op, cell, unit) if split else clean_value(cell)
            printed[role] = shown
            reading = normal_value(shown)
            date = serial_date(cell if split else re.sub(r"^[≥≤=<>]+", "", clean(cell)))
            unit_free = not unit or is_number(unit)
            if date and unit_free and (level2_code == "13" or _DATE_WORDS.search(name)):
                op = operator or (value_parts(reading).operator if not split else "")
                dated = f"{op}{date.isoformat()}"
                reading = dated
            if (fixed := repair_bounded_rate(name, reading)) is not None:
                repairs.append(Repair(role, reading, fixed, "比率不超过100%,开头的“2”是误识的“≥”"))
                reading = fixed
                printed[role] = fixed
            read[role] = reading
        both = read.get("value", "")
        period = read.get("period_value") or both
        annual = read.get("annual_value") or both
        if dated:
            flags.append("serial_date")
            for key, value in (("period_value", period), ("annual_value", annual)):
                if value == dated:
                    original = printed.get(key) or printed.get("value", "")
                    serial = number_text(original).lstrip("=≥≤<>")
                    repairs.append(Repair(key, normal_value(original), dated, f"Excel日期序列号{serial}读作日期"))
        shown_value = printed.get("value") or (printed.get("annual_value") if "period_value" not in printed else "")
        shown_value = shown_value or (printed.get("period_value", "") if "annual_value" not in printed else "")
        if split:
            number_cell = clean(f.get("value") or f.get("annual_value") or f.get("period_value"))
            parts_number = float(number_text(number_cell)) if is_number(number_cell) and not dated else None
            parts = (operator, parts_number, "" if is_number(unit) else unit)
        else:
            vp = value_parts(annual or period)
            parts = (vp.operator, vp.number, vp.unit) if not dated else (vp.operator, None, "")
        weight = f.get("weight")
        score = f.get("score")
        note = "；".join(clean(x) for x in [*notes, f.get("note"), f.get("standard")] if clean(x))
        return {
            "period_value": period,
            "annual_value": annual,
            "value": shown_value,
            "operator": parts[0],
            "number": parts[1],
            "unit": parts[2],
            "direction": direction,
            "weight": float(number_text(weight)) if is_number(weight) else None,
            "actual_value": clean_value(f.get("actual_value")),
            "score": float(number_text(score)) if is_number(score) else None,
            "deviation": clean_value(f.get("deviation")),
            "note": note,
        }


def _form_labels(row: Row) -> bool:
    """A row that starts with a form label and holds another: labels and their texts, not an indicator."""
    from ingest.align import is_category
    from ingest.headers import key_role

    first = row.filled[0]
    if key_role(first) is None or is_category(first):
        return False
    return sum(key_role(c) is not None for c in row.filled) >= 2


def outer_group(l1: str, l2: str) -> tuple[str, str]:
    """The categories a row names, when its 二级 cell holds a framework 一级 category.

    Some templates (the 中央预算内投资 绩效目标表) put an outer group in the 一级 column
    (`实施效果指标`, one merged cell) and 产出指标 / 效益指标 in the 二级 column; a copy that lost
    the merged cell leaves `效益指标` alone in the 二级 column. That cell is the 一级 category and
    the row names no 二级 (a 一级-only name: 成本指标 and 满意度指标 are 二级 names too, and stay)."""
    from ingest.align import is_category
    from ingest.indicators import category_score
    from ingest.taxonomy import LEVEL1, LEVEL2

    if not l2 or (l1 and is_category(l1)):
        return l1, l2
    if any(category_score(l2, c) >= 100 for c in LEVEL1) and not any(category_score(l2, c) >= 100 for c in LEVEL2):
        return l2, ""
    return l1, l2


def _by_position(row: Row, columns: list[Column]) -> dict[int, str]:
    out: dict[int, str] = {}
    for n, col in enumerate(columns):
        if col.index < len(row.cells) and row.cells[col.index].strip():
            out[n] = row.cells[col.index]
    return out


def _fields(placed: dict[Column, str], junk: list[str]) -> Fields:
    by_role: dict[str, list[str]] = {}
    for col in sorted(placed, key=lambda c: c.index):
        if col.role:
            by_role.setdefault(col.role, []).append(placed[col])
    return Fields(by_role, junk)


def _org(name: str) -> str:
    from ingest.keyvalue import strip_code

    return strip_code(name) or clean(name)


def money_of(text: str, unit: str) -> Money | None:
    """An amount cell read, or None when it is not one."""
    try:
        return parse_money(text, unit)
    except ValueError:
        return None
