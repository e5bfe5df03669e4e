"""绩效自评表: the targets with what was achieved (实际完成值), 分值, 得分 and 偏差原因.

Structurally a form, a multi-project grid or a department-level table: this reader hands it to
that reader and keeps the self-evaluation columns on each indicator (`actual_value`, `weight`,
`score`, `deviation`). `Document.kind` is "self_evaluation".
"""

from __future__ import annotations

from ingest.builder import RecordBuilder
from ingest.grid import Analysis
from ingest.headers import SELF_EVALUATION_ROLES
from ingest.layouts import form, overall, rows
from ingest.records import ParsedFile
from ingest.sources import Source

NAME = "selfeval"
DESCRIPTION = "绩效自评表(一级/二级/三级指标,年度指标值、实际完成值、分值、得分、偏差原因)"


def detect(analysis: Analysis) -> bool:
    header = analysis.header
    if header is None or header.packed:
        return False
    return bool(header.roles & SELF_EVALUATION_ROLES) or analysis.block.kind == "self_evaluation"


def parse(source: Source, analysis: Analysis, builder: RecordBuilder) -> ParsedFile:
    reader = rows if rows.detect(analysis) else form if form.detect(analysis) else overall
    parsed = reader.parse(source, analysis, builder, kind="self_evaluation")
    parsed.document.layout = NAME
    return parsed
