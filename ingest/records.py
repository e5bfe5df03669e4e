"""The record types that flow through every stage: Document, Project, Indicator.

Ingest makes them, the index stores them (as node metadata), the assistant cites them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

Kind = Literal["project", "indicator"]


@dataclass(frozen=True)
class Repair:
    """One field the parser repaired, with what the source said and why it changed."""

    field: str
    original: str
    repaired: str
    reason: str


DocumentKind = Literal["project", "overall", "self_evaluation"]
# Flags on a record: what the parser noticed without changing the field (see ingest/README.md).
Flag = Literal["serial_date", "known_variant", "reading", "long_text", "unit_assumed", "amount_words", "amount_unreadable"]


@dataclass
class Document:
    """One source table: a department's 项目支出绩效目标表 for one year."""

    source: str  # file name, as cited
    department: str
    year: int  # 0 when the table does not say
    unit: str = "万元"
    path: str = ""  # where it was read from
    content_hash: str = ""
    grand_total: float | None = None  # 合计
    subtotals: dict[str, float] = field(default_factory=dict)  # funding unit -> 总计
    format: str = "text"  # text | csv | xlsx | docx | html | pdf
    encoding: str = ""  # how the bytes were decoded (text formats)
    traditional: bool = False  # the source is in Traditional Chinese; fields are simplified
    kind: DocumentKind = "project"  # project targets, department-level (整体支出) targets, or a self-evaluation
    layout: str = "packed"  # the reader that parsed it (ingest/layouts)
    source_unit: str = ""  # the amount unit the document states (元, 万元, …); "" when it states none
    unit_stated: bool = False  # False: amounts were read as 万元 by assumption (and a warning says so)
    department_from: str = ""  # where the department came from: a label (主管部门, 部门名称…), a column, or 文件名
    year_from: str = ""  # where the year came from: 标题, 年度, 正文, or 文件名
    title: str = ""  # the table's title line, when it has one


@dataclass
class Project:
    """A project row: amounts (in the document's unit), goal text and provenance."""

    id: str
    source: str
    line: int
    department: str
    year: int
    unit_name: str  # funding unit (资金使用单位)
    project: str
    total: float | None
    fiscal: float | None
    special: float | None
    other: float | None
    goal: str
    text: str  # the raw row, verbatim
    repairs: list[Repair] = field(default_factory=list)
    page: int = 0  # PDF page (1-based), 0 for other formats
    sheet: str = ""  # XLSX worksheet
    amount_text: str = ""  # the 总计 cell as printed (`3,309,840.00`, `854万(其中…)`)
    amount_unit: str = ""  # the unit that printed amount is in (元, 万元); amounts above are in 万元
    amount_note: str = ""  # words printed with the amount (`其中高标准农田建设400万元`)
    implementer: str = ""  # 实施单位, when the table names one
    period_goal: str = ""  # 实施期目标 of a multi-year form (goal holds the 年度目标)
    reading: str = ""  # the name with a misread word repaired from the document's own spelling
    flags: list[str] = field(default_factory=list)

    kind: Kind = "project"

    @property
    def repaired(self) -> bool:
        return bool(self.repairs)


@dataclass
class Indicator:
    """A 三级 indicator of a project, with its 一级/二级 categories and both values."""

    id: str
    source: str
    line: int
    department: str
    year: int
    project: str
    level1: str  # canonical, e.g. 效益指标; "" when the table has no category columns
    level1_code: str
    level2: str  # canonical, e.g. 社会效益指标
    level2_code: str
    indicator: str
    period_value: str  # 实施周期指标值
    annual_value: str  # 年度指标值
    text: str  # the raw span, verbatim
    item: int = 0  # the item number in the table (1、2、…)
    repairs: list[Repair] = field(default_factory=list)
    page: int = 0  # PDF page (1-based), 0 for other formats
    sheet: str = ""  # XLSX worksheet
    value: str = ""  # the value as printed, split columns joined (`≥95%`); "" when the layout gives both values
    operator: str = ""  # value parts: ≥ ≤ = > < (or "")
    number: float | None = None
    unit: str = ""  # 计量单位 (%, 个, 人/次, 万元)
    direction: str = ""  # 指标方向: 正向 / 反向
    weight: float | None = None  # 权重 / 分值
    actual_value: str = ""  # self-evaluation: 实际完成值
    score: float | None = None  # self-evaluation: 得分
    deviation: str = ""  # self-evaluation: 偏差原因
    note: str = ""  # 备注, 绩效标准
    reading: str = ""  # the name with a misread word repaired from the document's own spelling
    flags: list[str] = field(default_factory=list)

    kind: Kind = "indicator"

    @property
    def repaired(self) -> bool:
        return bool(self.repairs)


Record = Project | Indicator
_FIELDS: dict[type, frozenset[str]] = {cls: frozenset(f.name for f in fields(cls)) for cls in (Project, Indicator)}


def stable_id(*parts: object) -> str:
    """A short id derived from content: the same row always gets the same id."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:16]


def to_dict(record: Record) -> dict[str, Any]:
    data = asdict(record)
    data["kind"] = record.kind
    return data


def from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a record from `to_dict` output (or index metadata that carries it).

    Keys the record type does not know are ignored, so records stored by an older or newer
    version of the code still load."""
    data = dict(data)
    data["repairs"] = [Repair(**r) for r in data.get("repairs", [])]
    kind = data.pop("kind")
    cls: type[Project] | type[Indicator] = Project if kind == "project" else Indicator
    known = _FIELDS[cls]
    return cls(**{k: v for k, v in data.items() if k in known})


def dumps(record: Record) -> str:
    return json.dumps(to_dict(record), ensure_ascii=False)


# What a warning is about; `rows` lists the table rows (lines) it names.
WarningKind = Literal[
    "", "row_dropped", "item_dropped", "duplicate", "mismatch", "header", "layout", "quarantined", "amount", "unit",
    "empty_category", "no_value",
]


@dataclass(frozen=True)
class ParseWarning:
    """Something in the input that did not become a record, or did not add up."""

    source: str
    line: int
    message: str
    kind: WarningKind = ""
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.source} 第{self.line}行: {self.message}" if self.line else f"{self.source}: {self.message}"


TotalKind = Literal["grand", "unit"]


@dataclass
class TotalRow:
    """A 合计 (grand total) or funding-unit subtotal row: amounts that projects must add up to."""

    line: int
    name: str
    kind: TotalKind
    amounts: dict[str, float | None]  # funding column key (total, fiscal, …) -> amount; None = empty cell
    text: str = ""  # the raw row, verbatim
    sheet: str = ""  # XLSX worksheet


# What became of a table row: the row accounting of a ParsedFile. Every input row gets one:
# a record, a total, a header/title line, a blank line, or a warning (dropped / quarantined).
RowFate = Literal["project", "indicator", "total", "subtotal", "header", "blank", "dropped", "quarantined"]


@dataclass
class ParsedFile:
    """Everything ingest recovered from one file."""

    document: Document
    projects: list[Project] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    rows_in: int = 0  # rows (lines) of the input, every one of them accounted for in `rows`
    totals: list[TotalRow] = field(default_factory=list)
    rows: dict[int, RowFate] = field(default_factory=dict)  # line -> what the row became

    def account(self, line: int, fate: RowFate) -> None:
        """Record what became of a table row (each row is counted once)."""
        if line not in self.rows:
            self.rows_in += 1
        self.rows[line] = fate

    @property
    def records_out(self) -> int:
        return len(self.projects) + len(self.indicators)

    def row_accounting(self) -> dict[str, int]:
        """Rows in, and how many became records, totals, header or blank lines, or warnings.

        record_rows + total_rows + header_rows + blank_rows + dropped_rows + quarantined_rows == rows_in."""
        fates = list(self.rows.values())
        return {
            "rows_in": self.rows_in,
            "record_rows": sum(f in ("project", "indicator") for f in fates),
            "total_rows": sum(f in ("total", "subtotal") for f in fates),
            "header_rows": fates.count("header"),
            "blank_rows": fates.count("blank"),
            "dropped_rows": fates.count("dropped"),
            "quarantined_rows": fates.count("quarantined"),
            "records_out": self.records_out,
            "warnings": len(self.warnings),
        }

    @property
    def records(self) -> list[Record]:
        return [*self.projects, *self.indicators]

    @property
    def repaired(self) -> int:
        """How many fields were repaired, over all records."""
        return sum(len(r.repairs) for r in self.records)
