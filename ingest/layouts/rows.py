"""Row per indicator, several projects: a project's row carries its name, amounts and goal, the
rows below it (name cells empty or merged) its other indicators.

    单位名称 | 项目名称 | 预算数 | 年度目标 | 一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 度量单位 | 权重 | …
    820001-井研县马踏镇人民政府 | 村组干部报酬 | 3,309,840.00 | 按时发放… | 效益指标 | 社会效益指标 | 维护社会稳定 | ≥ | 95 | % | 10
    产出指标 | 时效指标 | 维持时效 | ≥ | 1 | 年 | 20 | 正向指标          (a web copy: merged cells collapsed)
"""

from __future__ import annotations

from ingest.builder import RecordBuilder
from ingest.grid import Analysis
from ingest.layouts.common import account_header, finish, new_document, run_grid
from ingest.records import ParsedFile
from ingest.sources import Source

NAME = "rows"
DESCRIPTION = "每行一条指标的多项目表(项目名称、一级指标、二级指标、三级指标、指标值或指标性质/指标值/度量单位等列)"


def detect(analysis: Analysis) -> bool:
    header = analysis.header
    return header is not None and not header.packed and "project" in header.roles and "project" not in analysis.block.keys


def parse(source: Source, analysis: Analysis, builder: RecordBuilder, kind: str = "project") -> ParsedFile:
    parsed, unit = new_document(source, analysis, NAME, kind)  # type: ignore[arg-type]
    account_header(parsed, analysis)
    reader = run_grid(parsed, builder, analysis, unit)
    return finish(parsed, reader, analysis.block)
