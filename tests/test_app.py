"""app.py callbacks without a browser: chat citations, 指标浏览, 审计检查, 文档管理 and the exports."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

import app
from assistant import Assistant, DialogueState

FIXTURES = Path(__file__).parent / "fixtures"
UPLOAD = FIXTURES / "upload_sample.csv"


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


# -- 问答 ----------------------------------------------------------------------------------------------
def test_flagship_answer_numbers_match_the_cited_rows_and_quotes(assistant) -> None:
    turn = app.chat_turn(assistant, "扶贫工作经费的社会效益指标是什么", [], DialogueState())
    answer = turn.history[-1]["content"]
    assert "强化社会发动" in answer
    refs = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    assert refs == {row[0] for row in turn.cited} == set(range(1, len(turn.citations) + 1))
    first = turn.cited[0]
    assert first[app.CITED_COLUMNS.index("指标")] == "强化社会发动"
    assert first[app.CITED_COLUMNS.index("来源")].endswith(f":{turn.citations[0].line}")
    assert "[1]" in turn.quotes and "<mark>" in turn.quotes and "强化社会发动" in turn.quotes


@pytest.mark.parametrize("question", ["哪些项目设置了满意度指标", "政府雇员工资经费有满意度指标吗", "哪个项目预算最多"])
def test_every_reference_in_an_answer_has_its_row(assistant, question: str) -> None:
    turn = app.chat_turn(assistant, question, [], DialogueState())
    refs = {int(n) for n in re.findall(r"\[(\d+)\]", turn.history[-1]["content"])}
    assert refs <= {row[0] for row in turn.cited}
    assert [row[0] for row in turn.cited] == list(range(1, len(turn.cited) + 1))


def test_a_clicked_cited_row_opens_its_source_line(assistant) -> None:
    turn = app.chat_turn(assistant, "信创经费买几台电脑", [], DialogueState())
    ids = [r.id for r in turn.citations]
    shown = app.cited_context(assistant, ids, turn.cited[0])
    assert f"{turn.citations[0].source}:{turn.citations[0].line}" in shown and "<mark>" in shown
    assert "选择表格中的一行" in app.cited_context(assistant, ids, ["99"])


def test_an_empty_message_changes_nothing(assistant) -> None:
    turn = app.chat_turn(assistant, "  ", [{"role": "user", "content": "x"}], DialogueState())
    assert turn.history == [{"role": "user", "content": "x"}] and turn.cited == [] and turn.record is None


def test_a_conversation_exports_as_markdown_with_its_citations(assistant) -> None:
    state = DialogueState()
    turns = [app.chat_turn(assistant, q, [], state).record for q in ("扶贫工作经费有哪些产出指标", "那它的满意度指标呢")]
    path = app.export_conversation(assistant, turns)
    assert path is not None and path.suffix == ".md"
    text = path.read_text(encoding="utf-8")
    assert "## 1. 扶贫工作经费有哪些产出指标" in text and "## 2. 那它的满意度指标呢" in text
    assert "[1] 扶贫工作经费 / 加强组织领导" in text and re.search(r"`\S+\.txt:\d+`", text)
    assert app.export_conversation(assistant, []) is None


# -- 指标浏览 ------------------------------------------------------------------------------------------
def test_browse_lists_every_indicator_and_filters_by_column(assistant) -> None:
    catalog = assistant.index.catalog
    view = app.browse(assistant)
    assert len(view.rows) == len(catalog.indicators) == 28
    assert view.frame().columns.tolist() == app.BROWSE_COLUMNS
    only = app.browse(assistant, "", {"项目": "扶贫工作经费", "二级指标": "社会效益指标"})
    assert [r[app.BROWSE_COLUMNS.index("指标")] for r in only.rows] == ["强化社会发动"]
    repaired = app.browse(assistant, "", {"OCR已修复": "是"})
    assert repaired.rows and all(r[app.BROWSE_COLUMNS.index("OCR已修复")].startswith("是") for r in repaired.rows)
    assert len(repaired.rows) + len(app.browse(assistant, "", {"OCR已修复": "否"}).rows) == 28
    choices = app.filter_choices(catalog)
    assert choices["一级指标"] == ["全部", "产出指标", "效益指标", "满意度指标"]
    assert choices["年度"] == ["全部", "2024"]
    with pytest.raises(ValueError, match="unknown browse columns"):
        app.browse(assistant, "", {"金额": "1"})


def test_the_search_box_ranks_with_the_hybrid_search_and_keeps_filters(assistant) -> None:
    view = app.browse(assistant, "满意度")
    top = [r[app.BROWSE_COLUMNS.index("指标")] for r in view.rows[:3]]
    assert all("满意度" in t for t in top)
    assert len(view.rows) < 28
    scoped = app.browse(assistant, "满意度", {"项目": "信创工作经费"})
    assert {r[app.BROWSE_COLUMNS.index("项目")] for r in scoped.rows} == {"信创工作经费"}


def test_browse_sorts_by_any_column(assistant) -> None:
    col = app.BROWSE_COLUMNS.index("指标")
    up = [r[col] for r in app.browse(assistant, sort_by="指标").rows]
    down = [r[col] for r in app.browse(assistant, sort_by="指标", descending=True).rows]
    assert up == sorted(up) and down == sorted(up, reverse=True)


def test_the_current_view_exports_to_csv_and_xlsx(assistant) -> None:
    view = app.browse(assistant, "", {"一级指标": "效益指标"})
    path = app.export_browse(assistant, view.ids, "csv")
    rows = _csv_rows(path)
    assert rows[0] == app.BROWSE_COLUMNS and rows[1:] == [[str(c) for c in r] for r in view.rows]
    book = load_workbook(app.export_browse(assistant, view.ids, "xlsx"), read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(sheet[0]) == app.BROWSE_COLUMNS and len(sheet) - 1 == len(view.rows) == 8


def test_a_selected_row_shows_its_source_line_with_the_span_highlighted(assistant) -> None:
    catalog = assistant.index.catalog
    view = app.browse(assistant, "", {"项目": "扶贫工作经费"})
    for row, rid in zip(view.rows, view.ids, strict=True):
        assert app.record_for_row(catalog, row, app.BROWSE_COLUMNS).id == rid
    record = catalog.by_id[view.ids[-1]]
    shown = app.source_context_html(assistant.index.settings, record)
    assert "class='hit'" in shown and f">{record.line}<" in shown and f">{record.line - 1}<" in shown
    marked = re.search(r"<mark>(.*?)</mark>", shown, re.S)
    assert marked and record.indicator in marked.group(1)


@pytest.mark.parametrize("name", ["seed.csv", "seed.xlsx", "seed.pdf", "seed_gbk.txt"])
def test_the_source_viewer_reads_every_format(assistant, name: str) -> None:
    from dataclasses import replace

    from ingest import parse_file

    settings = replace(assistant.index.settings, data_dir=FIXTURES)
    parsed = parse_file(FIXTURES / name)
    for record in parsed.records:
        shown = app.source_context_html(settings, record)
        assert "原文件不在本机" not in shown and "class='hit'" in shown and "<mark>" in shown, (name, record.line)


def test_the_source_viewer_falls_back_to_the_stored_span_when_the_file_is_gone(assistant) -> None:
    from dataclasses import replace

    record = replace(assistant.index.catalog.indicators[0], source="gone.txt")
    shown = app.source_context_html(assistant.index.settings, record)
    assert "原文件不在本机" in shown and "<mark>" in shown


# -- 审计检查 ------------------------------------------------------------------------------------------
def test_the_audit_tab_reports_missing_satisfaction_and_draws_the_matrix(assistant) -> None:
    [source] = [s for _, s in app.document_choices(assistant.index.catalog)]
    view = app.audit_document(assistant, source)
    frame = view.frame()
    wage = frame[(frame["项目"] == "政府雇员工资经费") & (frame["检查项"] == "缺少必备指标类别")]
    assert len(wage) == 1 and "满意度指标" in wage.iloc[0]["说明"] and f"{source}:" in wage.iloc[0]["引用行"]
    assert "合计 41.73 万元" in view.summary and "一致" in view.summary
    assert view.matrix is not None and view.matrix.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    only = app.audit_document(assistant, source, ["missing_level1"], draw=False)
    assert {f.rule for f in only.findings} == {"missing_level1"} and len(only.findings) == 4


def test_findings_export_to_xlsx_and_markdown(assistant) -> None:
    [source] = [s for _, s in app.document_choices(assistant.index.catalog)]
    findings = app.audit_document(assistant, source, draw=False).findings
    book = load_workbook(app.export_findings(assistant, source, None, "xlsx"), read_only=True)
    found = list(book["审计发现"].iter_rows(values_only=True))
    assert len(found) - 1 == len(findings) and list(found[0]) == app.ex.FINDING_COLUMNS
    coverage = list(book["指标覆盖"].iter_rows(values_only=True))
    assert len(coverage) - 1 == 7
    md = app.export_findings(assistant, None, None, "md").read_text(encoding="utf-8")
    assert "### 缺少必备指标类别" in md and "“政府雇员工资经费”没有满意度指标" in md and "引用:" in md


# -- 文档管理 ------------------------------------------------------------------------------------------
def test_uploads_are_checked_indexed_kept_and_removable(fresh_index, tmp_path: Path) -> None:
    own = Assistant(fresh_index)
    bad_type = tmp_path / "notes.docx"
    bad_type.write_bytes(b"x")
    broken = tmp_path / "broken.txt"
    broken.write_text("这不是一张表\n只有两行字\n", encoding="utf-8")
    steps: list[float] = []
    result = app.ingest_uploads(own, [UPLOAD, bad_type, broken], lambda f, desc="": steps.append(f))
    rows = {r[0]: r for r in result.rows}
    assert rows["upload_sample.csv"][1:6] == ["已导入", 2, 7, 0, 0]
    assert rows["notes.docx"][1] == "未导入" and "不支持的文件类型" in rows["notes.docx"][6]
    assert rows["broken.txt"][1] == "导入失败" and rows["broken.txt"][6]
    assert steps[0] == 0 and steps[-1] == 1.0
    kept = app.uploads_dir(fresh_index.settings)
    assert (kept / "upload_sample.csv").is_file() and not (kept / "broken.txt").exists()

    docs = app.documents_frame(own)
    assert docs["文件"].tolist() == ["upload_sample.csv"] and docs.iloc[0]["指标数"] == 7
    view = app.browse(own, "", {"项目": "图书采购经费"})
    assert len(view.rows) == 5
    shown = app.source_context_html(fresh_index.settings, own.index.catalog.by_id[view.ids[0]])
    assert "<mark>" in shown and "原文件不在本机" not in shown
    answer = own.ask("图书采购经费的满意度指标是什么")
    assert "读者满意度" in answer.answer

    assert "7 行" not in app.remove_document(own, "nothing.csv")
    message = app.remove_document(own, "upload_sample.csv")
    assert "已移除" in message and "9 行" in message
    assert not (kept / "upload_sample.csv").exists()
    assert app.browse(own).rows == [] and own.index.catalog.records == []
    assert "还没有任何表格" in app.chat_turn(own, "图书采购经费的满意度指标是什么", [], DialogueState()).history[-1]["content"]


def test_size_and_count_limits_have_clear_messages(fresh_index, tmp_path: Path) -> None:
    own = Assistant(fresh_index)
    big = tmp_path / "big.csv"
    shutil.copyfile(UPLOAD, big)
    [row] = app.ingest_uploads(own, [big], max_mb=0.0001).rows
    assert row[1] == "未导入" and "超过单个文件" in row[6] and "MB" in row[6]
    many = app.ingest_uploads(own, [big] * (app.MAX_UPLOAD_FILES + 1))
    assert many.rows == [] and f"最多上传 {app.MAX_UPLOAD_FILES} 个" in many.message
    assert "请先选择" in app.ingest_uploads(own, []).message


def test_the_app_builds_on_a_full_and_on_an_empty_index(assistant, fresh_index) -> None:
    import gradio as gr

    assert isinstance(app.build_app(assistant), gr.Blocks)
    empty = Assistant(fresh_index)
    assert isinstance(app.build_app(empty), gr.Blocks)
    assert app.audit_document(empty, None).summary == "索引中还没有文档。"
