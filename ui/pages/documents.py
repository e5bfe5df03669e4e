"""文档管理: upload tables (editors), see what each file gave, list and remove documents.

Everything goes through the app's document library (index/library.py): it checks names, types
and sizes against the settings, stages, indexes (journaled, under the index's lock) and keeps the
source copy. This page only picks the files and words the outcome. An upload is handed to the
library as Gradio's stored copy opened for reading; a path outside Gradio's upload folder (a
forged request naming a server file) is refused unread.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

import gradio as gr
import pandas as pd
from gradio.utils import get_upload_folder

from index.library import UPLOAD_SUFFIXES, UploadResult
from index.store import DocumentInfo, FileReport
from ui.access import Role
from ui.context import EDITOR_ONLY, error_reason
from ui.pages import Page, require_editor

_log = logging.getLogger(__name__)
DOCUMENT_COLUMNS = ["文件", "部门", "年度", "项目数", "指标数", "修复字段", "警告数", "导入时间", "说明"]
REPORT_COLUMNS = ["文件", "结果", "项目数", "指标数", "修复字段", "警告数", "说明"]
STATUS_WORDS = {"added": "已导入", "updated": "已更新(替换同名文档)", "unchanged": "内容未变,跳过",
                "duplicate": "已存在", "error": "导入失败", "rejected": "未导入"}
REPLACE_LABEL = "替换同部门同年度的旧版本"
NOT_UPLOADED = "不是本次上传的文件,已拒绝"
SHOWN_WARNINGS = 5


def message_html(text: str) -> str:
    return f"<p class='message' role='status'>{html.escape(text)}</p>" if text else ""


def uploaded(files: Sequence[str | Path] | None, folder: Path | None = None) -> tuple[list[Path], list[str]]:
    """The files that are really uploads (inside Gradio's upload folder), and the names refused.

    Gradio hands the handler server paths; a client can put any path in that request. Only a regular
    file under the upload folder is accepted — anything else is refused without being opened.
    """
    root = (folder or Path(get_upload_folder())).resolve()
    ok: list[Path] = []
    refused: list[str] = []
    for f in files or []:
        path = Path(f)
        try:
            real = path.resolve(strict=True)
            inside = real.is_relative_to(root) and real != root and real.is_file() and not path.is_symlink()
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            _log.warning("上传请求中的文件不在上传目录内,已拒绝: %s", f)
            refused.append(path.name or "(无文件名)")
            continue
        ok.append(real)
    return ok, refused


def report_note(report: FileReport) -> str:
    """What the report row says about a file: the library's note (已存在, kept beside or replaced an
    older version of the same department and year), then its first warnings."""
    if report.status == "error":
        return error_reason(report)
    lines = [report.note] if report.note else []
    if report.status != "duplicate":  # a duplicate's warnings are those of the copy already indexed
        lines += report.warnings[:SHOWN_WARNINGS]
        if len(report.warnings) > SHOWN_WARNINGS:
            lines.append(f"……共 {len(report.warnings)} 条警告")
    return "\n".join(lines) or "无警告"


def report_rows(result: UploadResult) -> list[list[Any]]:
    """One row per file (REPORT_COLUMNS): those indexed or refused by the index, then those refused before."""
    rows = []
    for r in result.reports:
        failed = r.status == "error"
        rows.append([r.source, STATUS_WORDS.get(r.status, r.status), 0 if failed else r.projects,
                     0 if failed else r.indicators, 0 if failed else r.repaired, 0 if failed else len(r.warnings),
                     report_note(r)])
    rows += [[name, STATUS_WORDS["rejected"], 0, 0, 0, 0, reason] for name, reason in result.rejected]
    return rows


def period_notes(documents: Sequence[DocumentInfo]) -> dict[str, str]:
    """source -> a note for documents that share their department and year with another (both kept)."""
    by_period: dict[tuple[str, int], list[str]] = {}
    for d in documents:
        if d.period is not None:
            by_period.setdefault(d.period, []).append(d.source)
    return {s: f"与“{'、'.join(o for o in same if o != s)}”同部门同年度,两份都保留"
            for same in by_period.values() if len(same) > 1 for s in same}


class DocumentsPage(Page):
    title = "文档管理"
    tab_id = "docs"

    def on_building_ui(self) -> None:
        kinds = "、".join(s.lstrip(".") for s in UPLOAD_SUFFIXES)
        limits = self.ctx.settings
        self.readonly = gr.HTML(message_html(EDITOR_ONLY), visible=False, elem_id="readonly-note")
        with gr.Group(visible=True) as self.editor:
            gr.HTML(f"<p>上传项目支出绩效目标表({html.escape(kinds)}),单个文件不超过 {limits.upload_max_mb:g} MB,"
                    f"一次最多 {limits.upload_max_files} 个。同名文件会替换已导入的版本;内容与已导入文档相同的文件不会重复导入。"
                    "同一部门同一年度的新表默认与旧表并存,勾选下面的选项则替换旧版本。</p>", padding=True)
            with gr.Row():
                self.upload = gr.File(label="选择文件", file_count="multiple", elem_id="upload", scale=4, height=150)
                with gr.Column(scale=1, min_width=160):
                    self.replace = gr.Checkbox(False, label=REPLACE_LABEL, elem_id="replace-period")
                    self.ingest = gr.Button("导入", variant="primary", elem_id="ingest")
        self.message = gr.HTML(elem_id="upload-message")
        self.report = gr.Dataframe(pd.DataFrame(columns=REPORT_COLUMNS), label="本次导入结果", interactive=False, wrap=True,
                                   elem_id="upload-report", buttons=[], datatype="str")
        self.table = gr.Dataframe(self.documents_frame(), label="已导入的文档", interactive=False, wrap=True,
                                  elem_id="doc-table", buttons=[], datatype="str")
        with gr.Group(visible=True) as self.remover, gr.Row():
            self.choice = gr.Dropdown([d.source for d in self.ctx.library.documents()], value=None,
                                      label="要移除的文档", scale=4, elem_id="remove-doc")
            self.remove = gr.Button("移除文档", variant="stop", scale=1, elem_id="remove")
        self.removed = gr.HTML(elem_id="remove-message")

    def on_register_events(self) -> None:
        # Uploads and removals of this UI wait in one queue, so two editors never wait on each other
        # inside the index's lock. No lock of the app's own: the index's lock (index/lock.py) queues
        # this process's threads (UI, API) on a thread lock before its flock on the data directory.
        self.ingest.click(self.on_ingest, [self.upload, self.replace],
                          [self.message, self.report, self.table, self.choice, self.upload],
                          concurrency_id="index-write", concurrency_limit=1, show_progress_on=[self.report])
        self.remove.click(self.on_remove, [self.choice], [self.removed, self.table, self.choice],
                          concurrency_id="index-write", concurrency_limit=1, show_progress_on=[self.table])
        self.tab.select(self.refreshed, None, [self.table, self.choice], show_progress="hidden")

    def on_app_load(self, demo: gr.Blocks) -> None:
        demo.load(self.on_load, None, [self.readonly, self.editor, self.remover], show_progress="hidden")

    # -- what the events do ---------------------------------------------------------------------
    def on_load(self, request: gr.Request) -> tuple[Any, ...]:
        """Readers see the list, not the upload and remove controls (the handlers check again)."""
        editor = self.ctx.role(request) == Role.EDITOR
        return gr.HTML(visible=not editor), gr.Group(visible=editor), gr.Group(visible=editor)

    def documents_frame(self) -> pd.DataFrame:
        documents = self.ctx.library.documents()
        notes = period_notes(documents)
        rows = [[d.source, d.department, d.year, d.projects, d.indicators, d.repaired, len(d.warnings),
                 d.added_at.replace("T", " "), notes.get(d.source, "")] for d in documents]
        return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)

    def refreshed(self) -> tuple[Any, ...]:
        frame = self.documents_frame()
        return frame, gr.Dropdown(choices=frame["文件"].tolist(), value=None)

    def ingest_files(self, files: Sequence[str | Path] | None, replace: bool = False,
                     progress: Callable[[float, str], None] | None = None) -> tuple[str, list[list[Any]]]:
        """Index the uploaded files through the library: (a sentence, one report row per file)."""
        if not files:
            return "请先选择要上传的文件。", []
        real, refused = uploaded(files)
        with ExitStack() as opened:
            streams: list[tuple[str, BinaryIO]] = [(p.name, opened.enter_context(p.open("rb"))) for p in real]
            result = self.ctx.library.upload(streams, replace=replace, progress=progress)
        result.rejected += [(name, NOT_UPLOADED) for name in refused]
        return result.message, report_rows(result)

    def on_ingest(self, files: list[str] | None, replace: bool, request: gr.Request,
                  progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        with self.errors("导入文件"):
            require_editor(self.ctx, request)

            def report(fraction: float, desc: str = "") -> None:
                progress(fraction, desc=f"正在导入 {desc}" if fraction < 1 else "导入完成")

            message, rows = self.ingest_files(files, bool(replace), report)
            return (message_html(message), pd.DataFrame(rows, columns=REPORT_COLUMNS), *self.refreshed(),
                    gr.File(value=None))

    def remove_document(self, source: str | None) -> str:
        """Remove a document from every index (and its stored copy); a sentence saying what happened."""
        if not source:
            return "请先选择要移除的文档。"
        if self.ctx.index.document(source) is None:
            return f"“{source}”不在索引中。"
        n = self.ctx.library.remove(source)
        return f"已移除“{source}”:{n} 行已从索引中删除。"

    def on_remove(self, source: str | None, request: gr.Request) -> tuple[Any, ...]:
        with self.errors("移除文档"):
            require_editor(self.ctx, request)
            return (message_html(self.remove_document(source)), *self.refreshed())
