"""The single-project form (项目支出绩效目标申报表): a key/value header block, then the indicator grid.

    项目名称 | 雾炮车降尘抑尘服务 | 预算部门 | 湘潭市环境卫生管理处
    年度本级预算金额 | 250万 | …
    本年度绩效目标 | 通过采购…
    一级指标 | 二级指标 | 三级指标 | 指标值及单位 | 绩效标准
    产出指标 | 数量指标 | 雾炮车降尘抑尘服务配备车辆数 | 10辆 | 计划标准

The project record is made from the header block (its line is the 项目名称 row; its quote the rows
holding name, amount and goal); every indicator row belongs to it.
"""

from __future__ import annotations

from errors import IngestError
from ingest.builder import RecordBuilder
from ingest.grid import Analysis, money_of
from ingest.headers import AMOUNT_ROLES
from ingest.keyvalue import KeyValue, project_name, strip_code
from ingest.layouts.common import account_header, finish, new_document, run_grid
from ingest.normalize import clean, has_spaced_number
from ingest.records import ParsedFile, ParseWarning, Project, Repair
from ingest.sources import Source

NAME = "form"
DESCRIPTION = "项目支出绩效目标申报表(表头有“项目名称/项目支出名称”“主管部门/预算部门”“资金总额”等,其下为一级/二级/三级指标表)"


def detect(analysis: Analysis) -> bool:
    header = analysis.header
    return header is not None and not header.packed and "project" not in header.roles and "project" in analysis.block.keys


def form_project(parsed: ParsedFile, builder: RecordBuilder, analysis: Analysis, unit: str, name: str, line: int,
                 texts: list[KeyValue], cells: dict[str, str] | None = None) -> Project:
    """The form's project from its header block: amounts (in 万元), goals, implementing unit.

    `cells` are values the grid's first row gives (a department-level table): used where the block has none."""
    block = analysis.block
    cells = cells or {}
    doc = parsed.document
    amounts: dict[str, float | None] = {}
    extra: dict = {"flags": []}
    repairs: list[Repair] = []
    for key in AMOUNT_ROLES:
        kv = block.keys.get(key)
        if kv is None and clean(cells.get(key, "")):
            kv = KeyValue(cells[key], line, "")
        if kv is None:
            amounts[key] = None
            continue
        texts.append(kv)
        money = money_of(kv.value, unit)
        if money is None:
            amounts[key] = None
            parsed.warnings.append(ParseWarning(doc.source, kv.line, f"“{name}”的金额“{clean(kv.value)[:30]}”无法识别,金额按空值收录",
                                                "amount", (kv.line,)))
            extra["flags"].append("amount_unreadable")
            if key == "total":
                extra["amount_text"] = kv.value
            continue
        amounts[key] = money.value
        if money.value is not None and has_spaced_number(kv.value):
            repairs.append(Repair(key, kv.value, f"{money.value:.2f}", "去除数字中的OCR空格"))
        if key == "total" and money.value is not None:
            extra.update(amount_text=money.text, amount_unit=money.unit, amount_note=money.note)
            if money.unit_in_cell or money.note:
                extra["flags"].append("amount_words")
    parts = [v for k in ("fiscal", "special", "other") if (v := amounts.get(k))]
    if amounts.get("total") == 0 and parts and sum(parts) > 0:
        # A total printed 0 over sources that are not: the sheet's sum was never computed (a 自评表
        # exported with its formulas blank). The sources are what the form states.
        total = round(sum(parts), 6)
        why = "资金总额印为0而其中各项不为0(表内求和未计算),取各项之和"
        repairs.append(Repair("total", extra.get("amount_text") or "0", f"{total:g}", why))
        amounts["total"] = total
    for key in ("goal", "period_goal"):
        if key in block.keys:
            texts.append(block.keys[key])
    seen: set[int] = set()
    quote = "\n".join(kv.text for kv in sorted(texts, key=lambda k: k.line) if kv.text and not (kv.line in seen or seen.add(kv.line)))
    goal = clean(block.get("goal") or block.get("period_goal") or cells.get("goal", "") or cells.get("period_goal", ""))
    project = builder.project(
        line=line, name=name, amounts=amounts, goal=goal, text=quote, unit_name=doc.department, repairs=repairs,
        period_goal=clean(block.get("period_goal") or cells.get("period_goal", "")),
        implementer=strip_code(block.get("implementer")), **extra,
    )
    project.sheet = analysis.sheet.name
    return project


def parse(source: Source, analysis: Analysis, builder: RecordBuilder, kind: str = "project") -> ParsedFile:
    parsed, unit = new_document(source, analysis, NAME, kind)  # type: ignore[arg-type]
    kv = analysis.block.keys.get("project")
    if kv is None:
        raise IngestError(source.name, "申报表没有“项目名称”")
    name = project_name(kv.value)
    project = form_project(parsed, builder, analysis, unit, name, kv.line, [kv])
    parsed.projects.append(project)
    account_header(parsed, analysis, {kv.line})
    if analysis.header is None:  # a form whose indicator grid is not there (the copy ends inside it)
        message = f"“{name}”只有项目信息,没有绩效指标表(表格可能在此截断)"
        parsed.warnings.append(ParseWarning(source.name, kv.line, message, "layout", (kv.line,)))
        return finish(parsed, None, analysis.block)
    reader = run_grid(parsed, builder, analysis, unit, project)
    return finish(parsed, reader, analysis.block)
