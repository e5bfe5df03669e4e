"""指标浏览: every indicator, a filter per column, the chat's hybrid search, 拼音 sorting, the
source line of a clicked row, and CSV/XLSX of exactly what the table shows.

The table's own header menu (sort/filter in the browser) is hidden: sorting and filtering happen
here, so the export always has the table's rows in the table's order.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from ingest.records import Indicator
from ui import indicators as ind
from ui import source_view as sv
from ui.pages import Page

# Rows the table shows at once: a browser table of 100k rows takes tens of MB and seconds to draw;
# narrowing by filters or search finds the rest, and exports always hold every matching row.
MAX_SHOWN = 1000
WIDTHS = ["10%", "5%", "10%", "7%", "9%", "12%", "14%", "14%", "6%", "13%"]


def note_html(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


class BrowsePage(Page):
    title = "指标浏览"
    tab_id = "browse"

    def on_building_ui(self) -> None:
        # Built empty: the rows and filter choices arrive when the tab opens (`on_open`). At 100k
        # rows they take seconds to compute and megabytes to send, which no one should pay at start.
        with gr.Row():
            self.text = gr.Textbox(label="检索(与问答相同的混合检索)", placeholder="例如:满意度、及时率、走访", scale=4,
                                   elem_id="browse-query")
            self.sort_by = gr.Dropdown([ind.RELEVANCE, *ind.COLUMNS], value=ind.RELEVANCE, label="排序(中文按拼音)",
                                       scale=2, elem_id="browse-sort")
            self.descending = gr.Checkbox(label="降序", value=False, scale=1, min_width=80, elem_id="browse-desc")
            self.go = gr.Button("检索", variant="primary", scale=1, elem_id="browse-go")
            self.reset = gr.Button("清除筛选", scale=1, elem_id="browse-reset")
        with gr.Row():
            self.filters = [gr.Dropdown([ind.ALL], value=ind.ALL, label=c, filterable=True, min_width=110,
                                        elem_id=f"filter-{n}") for n, c in enumerate(ind.FILTER_COLUMNS)]
        self.note = gr.HTML(note_html("正在加载…"), elem_id="browse-note")
        self.ids = gr.State([])
        self.table = gr.Dataframe(self.frame([]), label="指标(点击一行查看原文;排序和筛选用上方的控件)",
                                  interactive=False, wrap=True, max_height=520, elem_id="browse-table",
                                  column_widths=WIDTHS, buttons=[], datatype="str")
        self.source = gr.HTML(sv.context_html(self.ctx.library, None), elem_id="browse-source", padding=True)
        with gr.Row():
            self.export_csv = gr.Button("导出当前视图为 CSV", size="sm", elem_id="export-csv")
            self.export_xlsx = gr.Button("导出当前视图为 XLSX", size="sm", elem_id="export-xlsx")
        self.file = gr.File(label="导出的文件", visible=False, elem_id="browse-file")

    def on_register_events(self) -> None:
        inputs = [self.text, self.sort_by, self.descending, *self.filters]
        outputs = [self.note, self.ids, self.table]
        gr.on([self.go.click, self.text.submit, self.sort_by.input, self.descending.input,
               *(f.input for f in self.filters)], self.on_browse, inputs, outputs, show_progress_on=[self.table],
              trigger_mode="always_last")  # a change made while a view is loading runs after it, with every control's value
        self.reset.click(self.on_reset, None, [*inputs, *outputs], show_progress_on=[self.table])
        self.tab.select(self.on_open, inputs, [*self.filters, *outputs], show_progress_on=[self.table])
        self.table.select(self.on_select, [self.ids], [self.source], show_progress="hidden")
        self.export_csv.click(self.on_export_csv, [self.ids], [self.file], show_progress_on=[self.file])
        self.export_xlsx.click(self.on_export_xlsx, [self.ids], [self.file], show_progress_on=[self.file])

    # -- what the events do ---------------------------------------------------------------------
    @staticmethod
    def frame(rows: list[Any]) -> pd.DataFrame:
        return pd.DataFrame([ind.row(r) for r in rows], columns=ind.COLUMNS)

    @staticmethod
    def query(text: str, sort_by: str, descending: bool, values: tuple[str, ...]) -> ind.IndicatorQuery:
        return ind.IndicatorQuery(text or "", dict(zip(ind.FILTER_COLUMNS, values, strict=True)),
                                  sort_by or ind.RELEVANCE, bool(descending))

    def view(self, query: ind.IndicatorQuery) -> tuple[Any, ...]:
        """(note, the ids of every matching row in order, the first MAX_SHOWN of them as the table)."""
        rows = ind.select(self.ctx.index, query)
        total = len(self.ctx.index.catalog.indicators)
        note = query.note(len(rows), total)
        if len(rows) > MAX_SHOWN:
            note += f";表中显示前 {MAX_SHOWN} 条,导出包含全部 {len(rows)} 条"
        return note_html(note), [r.id for r in rows], self.frame(rows[:MAX_SHOWN])

    def on_browse(self, text: str, sort_by: str, descending: bool, *values: str) -> tuple[Any, ...]:
        with self.errors("检索指标"):
            return self.view(self.query(text, sort_by, descending, values))

    def on_reset(self) -> tuple[Any, ...]:
        with self.errors("清除筛选"):
            fresh = ind.filter_choices(self.ctx.index.catalog)
            return ("", ind.RELEVANCE, False, *(gr.Dropdown(choices=fresh[c], value=ind.ALL) for c in ind.FILTER_COLUMNS),
                    *self.view(ind.IndicatorQuery()))

    def on_open(self, text: str, sort_by: str, descending: bool, *values: str) -> tuple[Any, ...]:
        """The tab opened: filter choices and rows refreshed from the index (documents may have changed)."""
        with self.errors("刷新指标"):
            fresh = ind.filter_choices(self.ctx.index.catalog)
            kept = tuple(v if v in fresh[c] else ind.ALL for c, v in zip(ind.FILTER_COLUMNS, values, strict=True))
            dropdowns = [gr.Dropdown(choices=fresh[c], value=v) for c, v in zip(ind.FILTER_COLUMNS, kept, strict=True)]
            return (*dropdowns, *self.view(self.query(text, sort_by, descending, kept)))

    def on_select(self, ids: list[str], evt: gr.SelectData) -> str:
        with self.errors("显示原文"):
            catalog = self.ctx.index.catalog
            at = evt.index[0] if isinstance(evt.index, list | tuple) else None
            record = catalog.by_id.get(ids[at]) if isinstance(at, int) and 0 <= at < len(ids) else None
            shown = dict(zip(ind.COLUMNS, evt.row_value or [], strict=False))
            if not isinstance(record, Indicator) or (shown and shown.get("来源") != sv.where(record)):
                record = ind.record_for_row(catalog, evt.row_value or [])  # the row is not where the ids say
            return sv.context_html(self.ctx.library, record)

    def export(self, ids: list[str], fmt: str) -> Path:
        """The table's rows in the table's order (the ids of the view it shows)."""
        catalog = self.ctx.index.catalog
        rows = [r for r in (catalog.by_id.get(i) for i in ids) if isinstance(r, Indicator)]
        return ind.export(rows, fmt, self.ctx.export_folder())

    def on_export_csv(self, ids: list[str]) -> Any:
        with self.errors("导出 CSV"):
            return gr.File(value=str(self.export(ids, "csv")), visible=True)

    def on_export_xlsx(self, ids: list[str]) -> Any:
        with self.errors("导出 XLSX"):
            return gr.File(value=str(self.export(ids, "xlsx")), visible=True)
