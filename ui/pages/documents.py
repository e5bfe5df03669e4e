"""文档管理: upload tables (editors), see what each file gave, list and remove documents.

An upload is read as bytes from Gradio's own upload folder and handed to the library with its
file name; a path outside that folder (a forged request naming a server file) is refused unread.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio.utils import get_upload_folder

from ui import library
from ui.access import Role
from ui.pages import EDITOR_ONLY, Page, user_errors

_log = logging.getLogger(__name__)
DOCUMENT_COLUMNS = ["文件", "部门", "年度", "项目数", "指标数", "修复字段", "警告数", "导入时间"]
REPORT_COLUMNS = ["文件", "结果", "项目数", "指标数", "修复字段", "警告数", "说明"]
NOT_UPLOADED = "不是本次上传的文件,已拒绝"
SHOWN_WARNINGS = 5


def message_html(text: str) -> str:
    return f"<p class='message' role='status'>{html.escape(text)}</p>" if text else ""


def uploaded(files: Sequence[str | Path] | None, folder: Path | None = None) -> tuple[list[library.Upload], list[str]]:
    """The bytes of files that are really uploads (inside Gradio's upload folder), and the names refused.

    Gradio hands the handler server paths; a client can put any path in that request. Only a regular
    file under the upload folder is read — anything else is refused without being opened.
    """
    root = (folder or Path(get_upload_folder())).resolve()
    ok: list[library.Upload] = []
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
        ok.append(library.Upload(path.name, real.read_bytes()))
    return ok, refused


def report_rows(outcomes: Sequence[library.UploadOutcome]) -> list[list[Any]]:
    rows = []
    for o in outcomes:
        if not o.ok:
            rows.append([o.source, library.STATUS_WORDS[o.status], 0, 0, 0, 0, o.reason])
            continue
        shown = "\n".join(o.warnings[:SHOWN_WARNINGS])
        more = f"\n……共 {len(o.warnings)} 条警告" if len(o.warnings) > SHOWN_WARNINGS else ""
        rows.append([o.source, library.STATUS_WORDS.get(o.status, o.status), o.projects, o.indicators, o.repaired,
                     len(o.warnings), (shown + more) or "无警告"])
    return rows


class DocumentsPage(Page):
    title = "文档管理"
    tab_id = "docs"

    def on_building_ui(self) -> None:
        kinds = "、".join(s.lstrip(".") for s in library.UPLOAD_SUFFIXES)
        self.readonly = gr.HTML(message_html(EDITOR_ONLY), visible=False, elem_id="readonly-note")
        with gr.Group(visible=True) as self.editor:
            gr.HTML(f"<p>上传项目支出绩效目标表({html.escape(kinds)}),单个文件不超过 {library.MAX_UPLOAD_MB} MB,"
                    f"一次最多 {library.MAX_UPLOAD_FILES} 个。同名文件会替换已导入的版本。</p>", padding=True)
            with gr.Row():
                self.upload = gr.File(label="选择文件", file_count="multiple", elem_id="upload", scale=4, height=150)
                self.ingest = gr.Button("导入", variant="primary", elem_id="ingest", scale=1)
        self.message = gr.HTML(elem_id="upload-message")
        self.report = gr.Dataframe(pd.DataFrame(columns=REPORT_COLUMNS), label="本次导入结果", interactive=False, wrap=True,
                                   elem_id="upload-report", buttons=[], datatype="str")
        self.table = gr.Dataframe(self.documents_frame(), label="已导入的文档", interactive=False, wrap=True,
                                  elem_id="doc-table", buttons=[], datatype="str")
        with gr.Group(visible=True) as self.remover, gr.Row():
            self.choice = gr.Dropdown([d.source for d in library.documents(self.ctx.index)], value=None,
                                      label="要移除的文档", scale=4, elem_id="remove-doc")
            self.remove = gr.Button("移除文档", variant="stop", scale=1, elem_id="remove")
        self.removed = gr.HTML(elem_id="remove-message")

    def on_register_events(self) -> None:
        # One writer at a time: uploads and removals share a queue (and the library's lock with the API).
        self.ingest.click(self.on_ingest, [self.upload], [self.message, self.report, self.table, self.choice, self.upload],
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
        rows = [[d.source, d.department, d.year, d.projects, d.indicators, d.repaired, len(d.warnings),
                 d.added_at.replace("T", " ")] for d in library.documents(self.ctx.index)]
        return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)

    def refreshed(self) -> tuple[Any, ...]:
        sources = [d.source for d in library.documents(self.ctx.index)]
        return self.documents_frame(), gr.Dropdown(choices=sources, value=None)

    def ingest_files(self, files: Sequence[str | Path] | None,
                     progress: Callable[[float, str], None] | None = None) -> tuple[str, list[list[Any]]]:
        """Index the uploaded files: (a sentence, one report row per file)."""
        if not files:
            return "请先选择要上传的文件。", []
        if len(files) > library.MAX_UPLOAD_FILES:
            return f"一次最多上传 {library.MAX_UPLOAD_FILES} 个文件,这次选了 {len(files)} 个。", []
        uploads, refused = uploaded(files)
        outcomes = library.ingest(self.ctx.index, uploads, progress) if uploads else []
        outcomes += [library.UploadOutcome(name, "rejected", reason=NOT_UPLOADED) for name in refused]
        return library.summary(outcomes), report_rows(outcomes)

    def on_ingest(self, files: list[str] | None, request: gr.Request,
                  progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        with user_errors("导入文件"):
            self.ctx.require_editor(request)

            def report(fraction: float, desc: str = "") -> None:
                progress(fraction, desc=f"正在导入 {desc}" if fraction < 1 else "导入完成")

            message, rows = self.ingest_files(files, report)
            return (message_html(message), pd.DataFrame(rows, columns=REPORT_COLUMNS), *self.refreshed(),
                    gr.File(value=None))

    def remove_document(self, source: str | None) -> str:
        """Remove a document from every index (and its source copy); a sentence saying what happened."""
        if not source:
            return "请先选择要移除的文档。"
        n = library.remove(self.ctx.index, source)
        if n is None:
            return f"“{source}”不在索引中。"
        return f"已移除“{source}”:{n} 行已从索引中删除。"

    def on_remove(self, source: str | None, request: gr.Request) -> tuple[Any, ...]:
        with user_errors("移除文档"):
            self.ctx.require_editor(request)
            return (message_html(self.remove_document(source)), *self.refreshed())
