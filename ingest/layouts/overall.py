"""整体支出绩效目标表: a department's targets for all its spending, no 项目名称.

The indicators belong to the department itself; so that questions reach them like any other
("马踏镇整体支出的满意度指标"), they are filed under one project named `<部门>整体支出`, whose
amount is the form's 资金总额 / 年度部门整体支出预算 and whose goal is its 年度目标.
`Document.kind` is "overall".
"""

from __future__ import annotations

from ingest.builder import RecordBuilder
from ingest.grid import Analysis, GridReader
from ingest.keyvalue import KeyValue, strip_code
from ingest.layouts.common import account_header, finish, new_document, run_grid
from ingest.layouts.form import form_project
from ingest.records import ParsedFile
from ingest.sources import Source

NAME = "overall"
DESCRIPTION = "部门(单位)整体支出绩效目标表(没有项目名称,表头有部门名称/单位名称,其下为一级/二级/三级指标表)"
PROJECT_SUFFIX = "整体支出"


def detect(analysis: Analysis) -> bool:
    header = analysis.header
    return header is not None and not header.packed and "project" not in header.roles and "project" not in analysis.block.keys


def parse(source: Source, analysis: Analysis, builder: RecordBuilder, kind: str = "overall") -> ParsedFile:
    parsed, unit = new_document(source, analysis, NAME, kind)  # type: ignore[arg-type]
    doc = parsed.document
    block = analysis.block
    header = analysis.header
    assert header is not None
    data = analysis.sheet.rows[header.last + 1 :]
    first = GridReader(parsed, builder, analysis.sheet, header, unit=unit).prescan(data)
    if not doc.department and first.get("unit_name"):
        doc.department, doc.department_from = strip_code(first["unit_name"]), "单位名称列"
    anchor = block.keys.get("department") or block.keys.get("total")
    line = anchor.line if anchor else (block.titles[0][0] if block.titles else analysis.sheet.rows[header.first].line)
    department = doc.department or source.name.rsplit(".", 1)[0]
    texts: list[KeyValue] = [anchor] if anchor else []
    project = form_project(parsed, builder, analysis, unit, f"{department}{PROJECT_SUFFIX}", line, texts, first)
    if not project.text:
        project.text = block.titles[0][1] if block.titles else analysis.sheet.rows[header.first].text
    parsed.projects.append(project)
    account_header(parsed, analysis, {line})
    reader = run_grid(parsed, builder, analysis, unit, project)
    return finish(parsed, reader, analysis.block)
