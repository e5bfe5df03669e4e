"""审计检查: per document, the projects × categories matrix and the findings of assistant/audit.py,
each citing its rows; XLSX/Markdown export."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant import audit
from assistant.audit_matrix import cjk_font, draw_matrix, matrix_alt_text
from index.store import Catalog
from ui import audit_report
from ui.pages import Page

FINDING_COLUMNS = ["级别", "检查项", "项目", "说明", "引用行"]
NO_DOCUMENTS = "索引中还没有文档。"


def document_choices(catalog: Catalog) -> list[tuple[str, str]]:
    """(label, source) of every indexed document."""
    return [(f"{d.department} {d.year}年 — {d.source}", d.source) for d in catalog.documents]


def findings_frame(report: audit_report.AuditReport | None) -> pd.DataFrame:
    findings = report.findings if report is not None else []
    rows = [[f.severity, f.title, f.project, f.message, "\n".join(f.cites())] for f in findings]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def summary_html(report: audit_report.AuditReport | None) -> str:
    """The headline, the count per check, the totals line; every name from the data escaped."""
    if report is None:
        return f"<div class='audit-summary'><p>{NO_DOCUMENTS}</p></div>"
    counts = report.counts()
    items = "".join(f"<li>{html.escape(r.title)}({r.severity}):{counts[r.code]} 条</li>" for r in report.rules)
    parts = [f"<p><b>{html.escape(report.headline())}</b></p>", f"<ul>{items}</ul>"]
    if report.totals is not None:
        parts.append(f"<p>{html.escape(report.totals.sentence())}</p>")
    if report.doc.projects and cjk_font() is None:
        legend = ";".join(f"P{n}={p.project}" for n, p in enumerate(report.doc.projects, 1))
        parts.append(f"<p>(本机没有中文字体,矩阵图用编号标注:{html.escape(legend)})</p>")
    return f"<div class='audit-summary'>{''.join(parts)}</div>"


class AuditPage(Page):
    title = "审计检查"
    tab_id = "audit"

    def on_building_ui(self) -> None:
        docs = document_choices(self.ctx.index.catalog)
        rule_choices = [(f"{r.title}({r.severity})", r.code) for r in audit.RULES]
        with gr.Row():
            self.document = gr.Dropdown(docs, value=docs[0][1] if docs else None, label="文档", scale=3, elem_id="audit-doc")
            self.rules = gr.CheckboxGroup(rule_choices, value=[c for _, c in rule_choices], label="检查项", scale=5,
                                          elem_id="audit-rules")
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                self.summary = gr.HTML(elem_id="audit-summary", padding=True)
                with gr.Accordion("检查项说明", open=False):
                    gr.HTML("<ul>" + "".join(f"<li><b>{html.escape(r.title)}</b>({r.severity}):{html.escape(r.description)}</li>"
                                             for r in audit.RULES) + "</ul>")
            with gr.Column(scale=3):
                self.matrix = gr.Image(label="项目 × 指标类别", type="filepath", format="png", interactive=False,
                                       elem_id="audit-matrix", buttons=["download"], alt_text="项目 × 指标类别矩阵")
        self.findings = gr.Dataframe(pd.DataFrame(columns=FINDING_COLUMNS), label="审计发现(每条都标明引用的原表行)",
                                     interactive=False, wrap=True, max_height=560, elem_id="audit-findings",
                                     column_widths=["6%", "12%", "16%", "40%", "26%"], buttons=[], datatype="str")
        with gr.Row():
            self.export_xlsx = gr.Button("导出审计结果 XLSX", size="sm", elem_id="export-audit-xlsx")
            self.export_md = gr.Button("导出审计结果 Markdown", size="sm", elem_id="export-audit-md")
            self.everything = gr.Checkbox(label="导出全部文档", value=False, elem_id="audit-all")
        self.file = gr.File(label="导出的文件", visible=False, elem_id="audit-file")

    def on_register_events(self) -> None:
        outputs = [self.summary, self.matrix, self.findings]
        gr.on([self.document.change, self.rules.input], self.on_audit, [self.document, self.rules], outputs,
              show_progress_on=[self.findings], trigger_mode="always_last")
        self.tab.select(self.on_open, [self.document, self.rules], [self.document, *outputs], show_progress_on=[self.findings])
        export_inputs = [self.document, self.rules, self.everything]
        self.export_xlsx.click(self.on_export_xlsx, export_inputs, [self.file], show_progress_on=[self.file])
        self.export_md.click(self.on_export_md, export_inputs, [self.file], show_progress_on=[self.file])

    def on_app_load(self, demo: gr.Blocks) -> None:
        demo.load(self.on_audit, [self.document, self.rules], [self.summary, self.matrix, self.findings],
                  show_progress="hidden")

    # -- what the events do ---------------------------------------------------------------------
    def report(self, source: str | None, rules: list[str] | None) -> audit_report.AuditReport | None:
        known = {d.source for d in self.ctx.index.catalog.documents}
        return audit_report.run(self.ctx.index, source, rules) if source in known else None

    def view(self, source: str | None, rules: list[str] | None) -> tuple[str, Path | None, str, pd.DataFrame]:
        """(summary HTML, matrix PNG, the matrix in words, findings) of one document."""
        report = self.report(source, rules)
        if report is None:
            return summary_html(None), None, "没有可显示的矩阵", findings_frame(None)
        matrix = draw_matrix(report.doc, self.ctx.exports_dir / "matrix")
        return summary_html(report), matrix, matrix_alt_text(report.doc), findings_frame(report)

    def on_audit(self, source: str | None, rules: list[str]) -> tuple[Any, ...]:
        with self.errors("审计检查"):
            summary, matrix, alt, frame = self.view(source, rules)
            return summary, gr.Image(value=str(matrix) if matrix else None, alt_text=alt), frame

    def on_open(self, source: str | None, rules: list[str]) -> tuple[Any, ...]:
        """The tab opened: the document list refreshed (documents may have been added or removed)."""
        with self.errors("刷新文档列表"):
            fresh = document_choices(self.ctx.index.catalog)
            keys = [s for _, s in fresh]
            chosen = source if source in keys else (keys[0] if keys else None)
            return (gr.Dropdown(choices=fresh, value=chosen), *self.on_audit(chosen, rules))

    def export(self, source: str | None, rules: list[str], everything: bool, fmt: str) -> Any:
        if not self.ctx.index.catalog.documents:
            gr.Warning(NO_DOCUMENTS)
            return gr.File(value=None, visible=False)
        path = audit_report.export(self.ctx.index, None if everything else source, rules, fmt, self.ctx.export_folder())
        return gr.File(value=str(path), visible=True)

    def on_export_xlsx(self, source: str | None, rules: list[str], everything: bool) -> Any:
        with self.errors("导出审计结果"):
            return self.export(source, rules, everything, "xlsx")

    def on_export_md(self, source: str | None, rules: list[str], everything: bool) -> Any:
        with self.errors("导出审计结果"):
            return self.export(source, rules, everything, "md")
