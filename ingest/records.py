"""The record types that flow through every stage: Document, Project, Indicator.

Ingest makes them, the index stores them (as node metadata), the assistant cites them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["project", "indicator"]


@dataclass(frozen=True)
class Repair:
    """One field the parser repaired, with what the source said and why it changed."""

    field: str
    original: str
    repaired: str
    reason: str


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
    format: str = "text"  # text | csv | xlsx | pdf
    encoding: str = ""  # how the bytes were decoded (text formats)
    traditional: bool = False  # the source is in Traditional Chinese; fields are simplified


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
    level1: str  # canonical, e.g. 效益指标
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

    kind: Kind = "indicator"

    @property
    def repaired(self) -> bool:
        return bool(self.repairs)


Record = Project | Indicator


def stable_id(*parts: object) -> str:
    """A short id derived from content: the same row always gets the same id."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:16]


def to_dict(record: Record) -> dict[str, Any]:
    data = asdict(record)
    data["kind"] = record.kind
    return data


def from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a record from `to_dict` output (or index metadata that carries it)."""
    data = dict(data)
    data["repairs"] = [Repair(**r) for r in data.get("repairs", [])]
    kind = data.pop("kind")
    return Project(**data) if kind == "project" else Indicator(**data)


def dumps(record: Record) -> str:
    return json.dumps(to_dict(record), ensure_ascii=False)


# What a warning is about; `rows` lists the table rows (lines) it names.
WarningKind = Literal["", "row_dropped", "item_dropped", "duplicate", "mismatch", "header", "layout"]


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


# What became of a table row: the row accounting of a ParsedFile.
RowFate = Literal["project", "indicator", "total", "subtotal", "dropped"]


@dataclass
class ParsedFile:
    """Everything ingest recovered from one file."""

    document: Document
    projects: list[Project] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    rows_in: int = 0  # table rows seen in the input (header lines excluded)
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
        """Rows in, and how many became records, totals, or warnings (dropped)."""
        fates = list(self.rows.values())
        return {
            "rows_in": self.rows_in,
            "record_rows": sum(f in ("project", "indicator") for f in fates),
            "total_rows": sum(f in ("total", "subtotal") for f in fates),
            "dropped_rows": fates.count("dropped"),
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
