"""绩效问答 — the Gradio app: chat with cited rows, and row search for auditors.

Run: `python app.py` (builds the index from data/ first if it is empty). Binds to
127.0.0.1:7860 unless JIXIAO_HOST / JIXIAO_PORT say otherwise.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from settings import Settings, configure_caches

configure_caches(Settings())

import gradio as gr  # noqa: E402

from assistant import Answer, Assistant, DialogueState  # noqa: E402
from assistant.retrieve import Filters, search  # noqa: E402
from index import open_index  # noqa: E402
from ingest.records import Indicator, Record  # noqa: E402
from ingest.taxonomy import LEVEL1, LEVEL2  # noqa: E402

TITLE = "绩效问答"
EXAMPLES = [
    "扶贫工作经费的社会效益指标是什么",
    "信创经费买几台电脑",
    "哪些项目设置了满意度指标",
    "哪个项目预算最多",
    "政府雇员工资经费有满意度指标吗",
]
CITED_COLUMNS = ["编号", "项目", "一级指标", "二级指标", "指标", "实施周期指标值", "年度指标值", "来源", "OCR已修复"]
SEARCH_COLUMNS = ["排名", "部门", "年度", "项目", "一级指标", "二级指标", "指标", "实施周期指标值", "年度指标值", "来源", "OCR已修复"]
ALL = "全部"
CSS = """
.quote mark { background: #fff3b0; padding: 0 2px; }
.quote { font-size: 0.92em; border-left: 3px solid #c9d6ff; padding-left: 8px; margin: 6px 0; }
"""


def source_of(r: Record) -> str:
    return f"{r.source}:{r.line}"


def row_cells(r: Record) -> list[Any]:
    """项目, 一级指标, 二级指标, 指标, 实施周期指标值, 年度指标值, 来源, OCR已修复"""
    repaired = "是" if r.repaired else ""
    if isinstance(r, Indicator):
        return [r.project, r.level1, r.level2, r.indicator, r.period_value, r.annual_value, source_of(r), repaired]
    amount = f"预算 {r.total:.2f}万元" if r.total is not None else "项目行"
    return [r.project, "(项目行)", "", amount, "", "", source_of(r), repaired]


def quotes_html(records: list[Record]) -> str:
    """Each cited row's source span, verbatim, with its number."""
    if not records:
        return ""
    parts = []
    for n, r in enumerate(records, 1):
        quote = r.text if isinstance(r, Indicator) else r.goal
        note = " · OCR已修复" if r.repaired else ""
        parts.append(f"<div class='quote'><b>[{n}]</b> {html.escape(r.project)} — "
                     f"<code>{html.escape(source_of(r))}</code>{note}<br><mark>{html.escape(quote)}</mark></div>")
    return "".join(parts)


@dataclass
class ChatTurn:
    """What the UI shows for one answered message."""

    history: list[dict[str, str]]
    understood: str
    cited: list[list[Any]]
    quotes: str


def chat_turn(assistant: Assistant, message: str, history: list[dict[str, str]], state: DialogueState) -> ChatTurn:
    """Answer one chat message in the conversation `state` (updated in place)."""
    message = (message or "").strip()
    if not message:
        return ChatTurn(history, "", [], "")
    answer: Answer = assistant.ask(message, state)
    understood = f"理解为:{answer.resolved_question}" if answer.resolved_question != answer.question else ""
    history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
    cited = [[n, *row_cells(r)] for n, r in enumerate(answer.citations, 1)]
    return ChatTurn(history, understood, cited, quotes_html(answer.citations))


def search_rows(assistant: Assistant, query: str, project: str = ALL, level1: str = ALL, level2: str = ALL,
                k: int = 50) -> list[list[Any]]:
    """The 指标检索 tab: hybrid search with filters, or every matching row when the query is empty."""
    catalog = assistant.catalog
    projects = [p for p in catalog.projects if project in (ALL, "", p.project)]
    l1 = tuple(c.code for c in LEVEL1 if c.name == level1)
    l2 = tuple(c.code for c in LEVEL2 if c.name == level2)
    filters = Filters(projects=projects if project not in (ALL, "") else [], level1=l1, level2=l2,
                      kind="indicator" if (l1 or l2) else "")
    if (query or "").strip():
        records = [h.record for h in search(assistant.index, query.strip(), filters, k=k)]
    else:
        records = [r for r in catalog.records if filters.allows(r)][:k * 4]
    out = []
    for n, r in enumerate(records, 1):
        cells = row_cells(r)
        out.append([n, r.department, r.year, *cells])
    return out


def build_app(assistant: Assistant) -> gr.Blocks:
    """The whole UI; every callback goes through `assistant`."""
    catalog = assistant.catalog
    project_names = [ALL, *dict.fromkeys(p.project for p in catalog.projects)]
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"# {TITLE}\n用中文提问项目支出绩效目标表的内容:预算、资金来源、绩效目标和各级绩效指标。"
                    "每个回答都标注引用的原表行。")
        with gr.Tab("问答"):
            state = gr.State(DialogueState())
            with gr.Row():
                with gr.Column(scale=5):
                    chatbot = gr.Chatbot(label="对话", height=460)
                    with gr.Row():
                        box = gr.Textbox(placeholder="例如:扶贫工作经费的社会效益指标是什么", show_label=False, scale=8,
                                         elem_id="question")
                        send = gr.Button("提问", variant="primary", scale=1, elem_id="ask")
                    clear = gr.Button("新对话", size="sm")
                    gr.Examples(EXAMPLES, inputs=box, label="示例问题")
                with gr.Column(scale=6):
                    understood = gr.Markdown(elem_id="understood")
                    cited = gr.Dataframe(headers=CITED_COLUMNS, label="引用的原表行", interactive=False, wrap=True,
                                         elem_id="cited")
                    quotes = gr.HTML(elem_id="quotes")

            def on_ask(message: str, history: list[dict[str, str]], st: DialogueState) -> tuple[Any, ...]:
                turn = chat_turn(assistant, message, history or [], st)
                return "", turn.history, st, turn.understood, turn.cited, turn.quotes

            outputs = [box, chatbot, state, understood, cited, quotes]
            send.click(on_ask, [box, chatbot, state], outputs)
            box.submit(on_ask, [box, chatbot, state], outputs)
            clear.click(lambda: ([], DialogueState(), "", [], ""), None, [chatbot, state, understood, cited, quotes])

        with gr.Tab("指标检索"):
            with gr.Row():
                query = gr.Textbox(label="检索词", placeholder="例如:满意度、及时率、走访", scale=4, elem_id="search-query")
                f_project = gr.Dropdown(project_names, value=ALL, label="项目", scale=2)
                f_level1 = gr.Dropdown([ALL, *(c.name for c in LEVEL1)], value=ALL, label="一级指标", scale=1)
                f_level2 = gr.Dropdown([ALL, *(c.name for c in LEVEL2)], value=ALL, label="二级指标", scale=1)
                go = gr.Button("检索", variant="primary", scale=1)
            results = gr.Dataframe(headers=SEARCH_COLUMNS, label="匹配的行(按相关度排序)", interactive=False, wrap=True,
                                   elem_id="search-results")
            inputs = [query, f_project, f_level1, f_level2]
            go.click(lambda *a: search_rows(assistant, *a), inputs, results)
            query.submit(lambda *a: search_rows(assistant, *a), inputs, results)
    return demo


def main() -> None:
    settings = Settings()
    index = open_index(settings)
    if index.is_empty():
        print(f"索引为空,正在从 {settings.data_dir} 导入样例数据…")
        index.build([settings.data_dir])
    assistant = Assistant(index)
    assistant.warm()
    demo = build_app(assistant)
    print(f"绩效问答已启动: http://{settings.host}:{settings.port}")
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS, show_error=True)


if __name__ == "__main__":
    main()
