"""Audit checks over indexed documents: each rule reads one document's rows and reports findings.

The rules live in `RULES`, in the order a report lists them. Add one by writing a function
`(doc: DocumentRows) -> Iterable[Finding]` and decorating it with `@rule(code, title, severity)`.
Every finding cites the rows it is about (records, or source lines for parser warnings).
Only indexed data is read: the rows in the catalog and each document's parse warnings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant import predicates
from assistant.predicates import vague_reason
from index.store import Catalog, DocumentInfo
from ingest.normalize import for_matching
from ingest.records import Indicator, ParseWarning, Project, Record
from ingest.taxonomy import BY_CODE, LEVEL1, LEVEL2, children

# -- vocabulary: every Chinese word the rules match ----------------------------------------------
# The 一级 categories every project needs at least one indicator of.
REQUIRED_LEVEL1: tuple[str, ...] = ("1", "2", "3")  # 产出, 效益, 满意度
# A value copied across projects is worth reporting only when it says something of its own:
# "100%" or "≥1个" repeat everywhere by nature.
COPIED_MIN_CJK = 4
FIELD_LABELS: dict[str, str] = {
    "project": "项目名称", "unit_name": "资金使用单位", "level1": "一级指标", "level2": "二级指标", "indicator": "指标",
    "period_value": "实施周期指标值", "annual_value": "年度指标值", "total": "总计", "fiscal": "财政拨款",
    "special": "财政专户拨款", "other": "其他资金", "goal": "绩效目标",
}
SEVERITY_ORDER: dict[str, int] = {"错误": 0, "警告": 1, "提示": 2}


# -- data -----------------------------------------------------------------------------------------
@dataclass
class DocumentRows:
    """One indexed document and its rows: what every rule reads."""

    info: DocumentInfo
    projects: list[Project]
    indicators: list[Indicator]
    warnings: list[ParseWarning] = field(default_factory=list)
    _by_project: dict[str, list[Indicator]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_project = defaultdict(list)
        for i in self.indicators:
            self._by_project[i.project].append(i)

    @property
    def source(self) -> str:
        return self.info.source

    def indicators_of(self, project: Project) -> list[Indicator]:
        """The project's indicators, in table order."""
        return self._by_project.get(project.project, [])


@dataclass
class Finding:
    """One thing an auditor should look at, with the rows it is about."""

    rule: str  # the rule's code, e.g. "missing_level1"
    title: str  # the rule's Chinese name
    severity: str  # 错误 | 警告 | 提示
    source: str
    department: str
    year: int
    project: str  # "" when about the whole document
    message: str
    records: list[Record] = field(default_factory=list)
    lines: tuple[int, ...] = ()  # source lines named without a record (parser warnings)

    def cites(self) -> list[str]:
        """The rows cited, e.g. `扶贫工作经费 / 强化社会发动 · file.txt:8`."""
        out = []
        for r in self.records:
            what = f"{r.project} / {r.indicator}" if isinstance(r, Indicator) else f"{r.project}(项目行)"
            out.append(f"{what} · {r.source}:{r.line}")
        cited_lines = {r.line for r in self.records}
        out.extend(f"{self.source}:{n}" for n in self.lines if n not in cited_lines)
        return out


RuleFn = Callable[[DocumentRows], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    severity: str
    description: str
    check: RuleFn


RULES: list[Rule] = []


def rule(code: str, title: str, severity: str, description: str) -> Callable[[RuleFn], RuleFn]:
    """Register a check under `code`; findings it yields get the rule's title and severity."""
    if severity not in SEVERITY_ORDER:
        raise ValueError(f"severity {severity!r}: expected one of {sorted(SEVERITY_ORDER)}")

    def register(fn: RuleFn) -> RuleFn:
        if any(r.code == code for r in RULES):
            raise ValueError(f"audit rule {code!r} is registered twice")
        RULES.append(Rule(code, title, severity, description, fn))
        return fn

    return register


def _finding(doc: DocumentRows, code: str, message: str, project: str = "", records: Iterable[Record] = (),
             lines: Iterable[int] = ()) -> Finding:
    r = next(x for x in RULES if x.code == code)
    return Finding(rule=code, title=r.title, severity=r.severity, source=doc.source, department=doc.info.department,
                   year=doc.info.year, project=project, message=message, records=list(records), lines=tuple(lines))


def _name(code: str) -> str:
    return BY_CODE[code].name


# -- the rules --------------------------------------------------------------------------------------
@rule("missing_level1", "缺少必备指标类别", "错误", "每个项目至少要有一条产出指标、一条效益指标和一条满意度指标")
def missing_level1(doc: DocumentRows) -> Iterable[Finding]:
    for p in doc.projects:
        rows = doc.indicators_of(p)
        have = {i.level1_code for i in rows}
        counts = "、".join(f"{_name(c)}{sum(i.level1_code == c for i in rows)}条" for c in REQUIRED_LEVEL1 if c in have)
        for code in REQUIRED_LEVEL1:
            if code not in have:
                yield _finding(doc, "missing_level1", f"“{p.project}”没有{_name(code)}(已有:{counts or '无任何指标'})",
                               p.project, [p])


@rule("empty_value", "指标值缺失", "警告", "实施周期指标值和年度指标值都没有填写")
def empty_value(doc: DocumentRows) -> Iterable[Finding]:
    for i in doc.indicators:
        if predicates.empty_value(i):
            yield _finding(doc, "empty_value", f"“{i.indicator}”没有填写指标值", i.project, [i])


@rule("empty_annual", "年度指标值未填写", "警告",
      "年度指标值没有填写(与问答中“哪些指标没填年度指标值”是同一条件,含两个值都没填的指标)")
def empty_annual(doc: DocumentRows) -> Iterable[Finding]:
    for i in doc.indicators:
        if predicates.empty_annual(i):
            period = f"(实施周期指标值为“{i.period_value}”)" if i.period_value.strip() else "(实施周期指标值也未填写)"
            yield _finding(doc, "empty_annual", f"“{i.indicator}”没有填写年度指标值{period}", i.project, [i])


@rule("vague_value", "指标值不可核验", "警告", "指标值没有数字、阈值或可核验的标准(或评分由评价人酌情决定)")
def vague_value(doc: DocumentRows) -> Iterable[Finding]:
    for i in doc.indicators:
        reasons = []
        for label, value in (("实施周期指标值", i.period_value), ("年度指标值", i.annual_value)):
            why = vague_reason(value)
            if why:
                reasons.append(f"{label}“{value}”{why}")
        if reasons:
            yield _finding(doc, "vague_value", f"“{i.indicator}”:" + ";".join(reasons), i.project, [i])


def _cjk(text: str) -> int:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


@rule("copied_value", "指标值跨项目雷同", "提示", "同一段指标值文字出现在多个项目中,可能是照抄")
def copied_value(doc: DocumentRows) -> Iterable[Finding]:
    by_value: dict[str, list[Indicator]] = defaultdict(list)
    shown: dict[str, str] = {}
    for i in doc.indicators:
        for value in dict.fromkeys(v for v in (i.period_value, i.annual_value) if v.strip()):
            key = re.sub(r"[\s,.;:。,;:、]+", "", for_matching(value))
            if _cjk(key) >= COPIED_MIN_CJK and i not in by_value[key]:
                by_value[key].append(i)
                shown.setdefault(key, value)
    for key, rows in by_value.items():
        projects = list(dict.fromkeys(i.project for i in rows))
        if len(projects) > 1:
            yield _finding(doc, "copied_value", f"指标值“{shown[key]}”在{len(projects)}个项目中相同:{'、'.join(projects)}",
                           "、".join(projects), rows)


@rule("ocr_repaired", "OCR已修复", "提示", "解析时修复过的字段:请对照原表确认")
def ocr_repaired(doc: DocumentRows) -> Iterable[Finding]:
    records: list[Record] = [*doc.projects, *doc.indicators]
    for r in sorted(records, key=lambda x: (x.line, x.kind != "project", getattr(x, "item", 0))):
        if not r.repairs:
            continue
        what = f"“{r.indicator}”" if isinstance(r, Indicator) else "项目行"
        changes = ";".join(f"{FIELD_LABELS.get(x.field, x.field)}“{x.original}”→“{x.repaired}”({x.reason})"
                           for x in r.repairs)
        yield _finding(doc, "ocr_repaired", f"{what}:{changes}", r.project, [r])


@rule("totals", "金额核对", "错误", "项目金额之和与单位小计、合计不一致,或一行的资金来源之和与总计不一致")
def totals(doc: DocumentRows) -> Iterable[Finding]:
    for w in doc.warnings:
        if w.kind == "mismatch":
            yield _finding(doc, "totals", w.message, _project_on(doc, w.line), _records_on(doc, w.rows), w.rows or (w.line,))
    if doc.info.grand_total is None and doc.projects:
        yield _finding(doc, "totals", "表中没有“合计”行,无法核对各项目金额之和")


@rule("parse_warning", "解析警告", "警告", "原表中未能收录或有疑问的内容(OCR 丢失、重复的序号等)")
def parse_warning(doc: DocumentRows) -> Iterable[Finding]:
    for w in doc.warnings:
        if w.kind != "mismatch":
            lines = w.rows or ((w.line,) if w.line else ())
            yield _finding(doc, "parse_warning", w.message, _project_on(doc, w.line), [], lines)


def _project_on(doc: DocumentRows, line: int) -> str:
    return next((p.project for p in doc.projects if p.line == line), "")


def _records_on(doc: DocumentRows, lines: Iterable[int]) -> list[Record]:
    wanted = set(lines)
    return [p for p in doc.projects if p.line in wanted]


# -- running ------------------------------------------------------------------------------------------
_WARNING_TEXT = re.compile(r"^(?P<source>.+?) 第(?P<line>\d+)行: (?P<message>.*)$", re.S)


def warnings_from_info(info: DocumentInfo) -> list[ParseWarning]:
    """The parser's warnings as the index stores them (strings), turned back into ParseWarnings.

    The index keeps only the text, so the kind is inferred: the reconciliation writes every
    mismatch as `a ≠ b`.
    """
    out = []
    for text in info.warnings:
        m = _WARNING_TEXT.match(text)
        line, message = (int(m["line"]), m["message"]) if m else (0, text.split(": ", 1)[-1])
        kind = "mismatch" if "≠" in message else ""
        out.append(ParseWarning(info.source, line, message, kind, (line,) if line else ()))  # type: ignore[arg-type]
    return out


def structured_warnings(info: DocumentInfo, path: Path | None) -> list[ParseWarning]:
    """The document's warnings with their kinds and rows, re-read from its file when that file is
    the one indexed (same content hash); else `warnings_from_info`."""
    if path is not None and path.is_file():
        from errors import IngestError
        from ingest import parse_file

        try:
            parsed = parse_file(path)
        except IngestError:
            parsed = None
        if parsed is not None and parsed.document.content_hash == info.content_hash:
            return parsed.warnings
    return warnings_from_info(info)


def document_rows(catalog: Catalog, source: str, warnings: list[ParseWarning] | None = None) -> DocumentRows:
    """One document's rows from the catalog; warnings default to those the index stores."""
    info = next((d for d in catalog.documents if d.source == source), None)
    if info is None:
        raise KeyError(f"文档“{source}”不在索引中")
    projects = [r for r in catalog.projects if r.source == source]
    indicators = [r for r in catalog.indicators if r.source == source]
    return DocumentRows(info, projects, indicators, warnings_from_info(info) if warnings is None else warnings)


def run(doc: DocumentRows, rules: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the chosen rules (default: all), in rule order."""
    chosen = None if rules is None else set(rules)
    unknown = (chosen or set()) - {r.code for r in RULES}
    if unknown:
        raise ValueError(f"unknown audit rules {sorted(unknown)}; known: {[r.code for r in RULES]}")
    out: list[Finding] = []
    for r in RULES:
        if chosen is None or r.code in chosen:
            out.extend(r.check(doc))
    return out


# -- the projects × categories matrix ---------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A matrix column: a 一级 category (its total) or one of its 二级 categories."""

    code: str
    label: str
    level1: str  # the 一级 code it belongs to
    required: bool  # a missing 一级 here breaks the completeness rule


@dataclass
class CoverageRow:
    project: Project
    counts: dict[str, int]  # column code -> indicators
    repaired: dict[str, int]  # column code -> indicators with a repaired field


def matrix_columns(doc: DocumentRows) -> list[Column]:
    """一级 categories with their 二级 categories; 成本指标 (一级 code 4) only when the table uses it."""
    used = {i.level1_code for i in doc.indicators}
    cols: list[Column] = []
    for l1 in LEVEL1:
        if l1.code not in REQUIRED_LEVEL1 and l1.code not in used:
            continue
        cols.append(Column(l1.code, f"{l1.short}合计", l1.code, l1.code in REQUIRED_LEVEL1))
        cols.extend(Column(c.code, c.name.removesuffix("指标"), l1.code, False) for c in children(l1.code))
    return cols


def coverage(doc: DocumentRows) -> list[CoverageRow]:
    """How many indicators each project has per category (and how many of them were repaired)."""
    known2 = {c.code for c in LEVEL2}
    out = []
    for p in doc.projects:
        counts: dict[str, int] = defaultdict(int)
        repaired: dict[str, int] = defaultdict(int)
        for i in doc.indicators_of(p):
            for code in {i.level1_code, i.level2_code if i.level2_code in known2 else ""} - {""}:
                counts[code] += 1
                repaired[code] += i.repaired
        out.append(CoverageRow(p, dict(counts), dict(repaired)))
    return out
