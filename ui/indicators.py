"""The indicator table (指标浏览 and `GET /api/indicators`): column filters, the search box, sorting.

One query type, one selection function, one row shape: the tab shows, the API pages and the
exports write exactly the rows `select` returns, in its order. Chinese columns sort in 拼音 order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from assistant import export as ex
from assistant.retrieve import Filters, search
from index.store import Catalog, Index
from ingest.records import Indicator
from ingest.taxonomy import LEVEL1, LEVEL2
from ui.source_view import NO, YES, repaired_cell, where

ALL = "全部"
EMPTY = "(未填写)"
RELEVANCE = "相关度(有检索词时)/原表顺序"
COLUMNS = ["部门", "年度", "项目", "一级指标", "二级指标", "指标", "实施周期指标值", "年度指标值", "OCR已修复", "来源"]
FILTER_COLUMNS = COLUMNS[:9]
# The same columns by their record field names (the API's query parameters).
FIELDS = {"department": "部门", "year": "年度", "project": "项目", "level1": "一级指标", "level2": "二级指标",
          "indicator": "指标", "period_value": "实施周期指标值", "annual_value": "年度指标值", "repaired": "OCR已修复",
          "source": "来源"}
# Search-box matches: rows whose BM25 score is at least LEXICAL_SHARE of the best one, plus the
# DENSE_KEEP nearest by meaning (e5 similarities are too compressed for a fixed threshold).
LEXICAL_SHARE = 0.2
DENSE_KEEP = 3
LEVEL1_NAMES = [c.name for c in LEVEL1]
LEVEL2_NAMES = [c.name for c in LEVEL2]


@dataclass(frozen=True)
class IndicatorQuery:
    """What the table shows: a search text, a value per filtered column, a sort column and direction."""

    text: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    sort_by: str = RELEVANCE
    descending: bool = False

    def __post_init__(self) -> None:
        unknown = {c for c, v in self.filters.items() if _chosen(v)} - set(FILTER_COLUMNS)
        if unknown:
            raise ValueError(f"unknown browse columns {sorted(unknown)}; expected {FILTER_COLUMNS}")
        if self.sort_by not in (RELEVANCE, *COLUMNS):
            raise ValueError(f"sort column {self.sort_by!r}: expected one of {COLUMNS}")

    @property
    def wanted(self) -> dict[str, str]:
        return {c: v for c, v in self.filters.items() if _chosen(v)}

    def note(self, shown: int, total: int) -> str:
        """共 N 条指标(索引中共 M 条),检索“…”,按…排序"""
        text = f"共 {shown} 条指标(索引中共 {total} 条)" + (f",检索“{self.text.strip()}”" if self.text.strip() else "")
        if self.sort_by != RELEVANCE:
            text += f",按{self.sort_by}{'降序' if self.descending else '升序'}排列"
        return text


def _chosen(value: str | None) -> bool:
    return value not in (None, "", ALL)


def cell(r: Indicator, column: str) -> str:
    """The text a column shows for a row, as filters match it."""
    values = {
        "部门": r.department, "年度": str(r.year) if r.year else "", "项目": r.project, "一级指标": r.level1,
        "二级指标": r.level2, "指标": r.indicator, "实施周期指标值": r.period_value, "年度指标值": r.annual_value,
        "OCR已修复": YES if r.repaired else NO, "来源": where(r),
    }
    return values[column]


def row(r: Indicator) -> list[Any]:
    """One table row in COLUMNS order (OCR已修复 names the repaired fields)."""
    cells: list[Any] = [cell(r, c) for c in COLUMNS]
    cells[COLUMNS.index("OCR已修复")] = repaired_cell(r)
    return cells


def filter_choices(catalog: Catalog) -> dict[str, list[str]]:
    """Each filter column's values (全部 first; empty cells as 未填写): categories in framework order, the rest in 拼音 order.

    Computed once per catalog version (~3 s at 100k rows) and shared by every user's page."""
    cached = _CHOICES.get(catalog.fingerprint)
    if cached is None:
        cached = _CHOICES[catalog.fingerprint] = _filter_choices(catalog)
        while len(_CHOICES) > 2:
            _CHOICES.pop(next(iter(_CHOICES)))
    return {column: list(values) for column, values in cached.items()}


_CHOICES: dict[str, dict[str, list[str]]] = {}


def _filter_choices(catalog: Catalog) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for column in FILTER_COLUMNS:
        values = {cell(r, column) or EMPTY for r in catalog.indicators}
        ordered = sorted(values, key=lambda v: (v == EMPTY, pinyin_key(v)))
        if column in ("一级指标", "二级指标"):
            framework = LEVEL1_NAMES if column == "一级指标" else LEVEL2_NAMES
            ordered = [c for c in framework if c in values] + [v for v in ordered if v not in framework]
        elif column == "OCR已修复":
            ordered = [YES, NO]
        out[column] = [ALL, *ordered]
    return out


@cache
def _syllable(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.TONE3)[0].lower()


@lru_cache(maxsize=200_000)
def pinyin_key(text: str) -> tuple[tuple[str, ...], str]:
    """Sort key: 拼音 syllable by syllable (with tone number), then the characters themselves.

    Per character, not per phrase: a polyphone takes its common reading, and a 100k-row column
    sorts in well under a second (phrase segmentation would take ~13 s).
    """
    return tuple(_syllable(ch) if "\u3400" <= ch <= "\u9fff" else ch.lower() for ch in text), text


def _sort_key(column: str) -> Any:
    if column in ("年度", "来源"):
        return lambda r: (r.year, r.source, r.line, r.item)
    return lambda r: pinyin_key(cell(r, column))


def select(index: Index, query: IndicatorQuery) -> list[Indicator]:
    """Every indicator matching the column filters and the search box, sorted as asked.

    The search box uses the chat's hybrid search, ranked by fused score; it keeps the rows that
    match the query's words well (LEXICAL_SHARE) plus the DENSE_KEEP nearest by meaning.
    Empty cells sort last either way.
    """
    catalog = index.catalog
    wanted = query.wanted
    text = query.text.strip()
    rows = _searched(index, catalog, text, wanted) if text else list(catalog.indicators)
    rows = [r for r in rows if all((cell(r, c) or EMPTY) == v for c, v in wanted.items())]
    if query.sort_by != RELEVANCE:
        always = query.sort_by in ("年度", "来源")
        filled = [r for r in rows if always or cell(r, query.sort_by)]
        empty = [r for r in rows if not (always or cell(r, query.sort_by))]
        rows = sorted(filled, key=_sort_key(query.sort_by), reverse=query.descending) + empty
    return rows


def _searched(index: Index, catalog: Catalog, text: str, wanted: dict[str, str]) -> list[Indicator]:
    projects = [p for p in catalog.projects if p.project == wanted.get("项目", p.project)
                and p.department == wanted.get("部门", p.department)]
    if ("项目" in wanted and not projects) or not catalog.records:
        return []
    pushdown = Filters(
        kind="indicator",
        projects=projects if "项目" in wanted else [],
        departments=[wanted["部门"]] if "部门" in wanted else [],
        level1=tuple(c.code for c in LEVEL1 if c.name == wanted.get("一级指标")),
        level2=tuple(c.code for c in LEVEL2 if c.name == wanted.get("二级指标")),
    )
    hits = [h for h in search(index, text, pushdown, k=max(len(catalog.records), 1)) if isinstance(h.record, Indicator)]
    scores = index.lexical(text)
    lexical = {h.record.id: float(scores[catalog.position[h.record.id]]) for h in hits}
    best = max(lexical.values(), default=0.0)
    return [h.record for h in hits  # type: ignore[misc]
            if (best > 0 and lexical[h.record.id] >= LEXICAL_SHARE * best)
            or (h.dense_rank is not None and h.dense_rank < DENSE_KEEP)]


def export(records: Sequence[Indicator], fmt: str, folder: Path) -> Path:
    """The rows as CSV or XLSX, in the order given (the table's order)."""
    rows = [row(r) for r in records]
    if fmt == "csv":
        return ex.write_csv(ex.export_path(folder, "指标浏览", "csv"), COLUMNS, rows)
    if fmt == "xlsx":
        return ex.write_xlsx(ex.export_path(folder, "指标浏览", "xlsx"), [("指标", COLUMNS, rows)])
    raise ValueError(f"export format {fmt!r}: expected csv or xlsx")


def record_for_row(catalog: Catalog, shown: Sequence[Any]) -> Indicator | None:
    """The indicator a displayed row shows, found by its 来源 and names."""
    cells = dict(zip(COLUMNS, shown, strict=False))
    for r in catalog.indicators:
        if (where(r), r.project, r.indicator, r.period_value) == (
                cells.get("来源"), cells.get("项目"), cells.get("指标"), cells.get("实施周期指标值") or ""):
            return r
    return None
