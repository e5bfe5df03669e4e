"""问答: a conversation with the assistant; every [n] selects its cited row, each answer can be voted on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from assistant import DialogueState
from assistant import export as ex
from errors import IndexMissingError
from evals import feedback
from ui import render
from ui.context import MAX_QUESTION_CHARS, answer_json
from ui.pages import Page

EXAMPLES = [
    "扶贫工作经费的社会效益指标是什么",
    "信创经费买几台电脑",
    "哪些项目设置了满意度指标",
    "哪个项目预算最多",
    "政府雇员工资经费有满意度指标吗",
]
NO_INDEX = "索引中还没有任何表格。请先在“文档管理”中上传并导入项目支出绩效目标表。"
MAX_TURNS = 100  # a conversation longer than this starts again (the state and page stay small)
ASK_CONCURRENCY = 4  # questions answered at once; the model releases the GIL, model-free answers take ~3 ms
STATIC = Path(__file__).resolve().parent.parent / "static"


def fresh_state(state: DialogueState | None) -> DialogueState:
    """The conversation state emptied: its own reset when it has one, else a new state."""
    reset = getattr(state, "reset", None)
    if callable(reset):
        reset()
        return state  # type: ignore[return-value]
    return DialogueState()


class ChatPage(Page):
    title = "问答"
    tab_id = "chat"

    def on_building_ui(self) -> None:
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=320):
                self.transcript = gr.HTML(render.transcript_html([]), elem_id="chat", label="对话记录",
                                          js_on_load=(STATIC / "chat.js").read_text(encoding="utf-8"),
                                          max_height=560, autoscroll=True, padding=True)
                with gr.Row(equal_height=True):
                    self.box = gr.Textbox(label="问题", show_label=False, placeholder="例如:扶贫工作经费的社会效益指标是什么",
                                          scale=8, elem_id="question", max_length=MAX_QUESTION_CHARS, lines=1)
                    self.send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="ask")
                with gr.Row():
                    self.clear = gr.Button("新对话", size="sm", elem_id="clear")
                    self.export = gr.Button("导出对话(Markdown)", size="sm", elem_id="export-chat")
                self.file = gr.File(label="对话记录", visible=False, elem_id="chat-file")
                gr.Examples(EXAMPLES, inputs=self.box, label="示例问题")
            with gr.Column(scale=5, min_width=320, elem_id="cited-column"):
                self.panel = gr.HTML(render.panel_html([]), elem_id="cited-panel", label="引用的原表行",
                                     js_on_load=(STATIC / "panel.js").read_text(encoding="utf-8"),
                                     max_height=760, padding=True)
        self.state = gr.State(DialogueState())
        self.log = gr.State([])

    def on_register_events(self) -> None:
        views = [self.transcript, self.panel, self.log, self.state]
        gr.on([self.send.click, self.box.submit], self.on_ask, [self.box, self.log, self.state], [self.box, *views],
              show_progress_on=[self.transcript], concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
        self.transcript.click(self.on_action, [self.log, self.state], views, show_progress_on=[self.transcript],
                              concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
        self.clear.click(self.on_clear, [self.state], [*views, self.file], show_progress="hidden")
        self.export.click(self.on_export, [self.log], [self.file], show_progress_on=[self.file])

    # -- what the events do ---------------------------------------------------------------------
    def turn(self, message: str, entries: list[dict[str, Any]], state: DialogueState) -> list[dict[str, Any]]:
        """Answer one message in the conversation `state` (updated in place); the entries with its turn added."""
        message = (message or "").strip()[:MAX_QUESTION_CHARS]
        if not message:
            return entries
        earlier = [e["answer"]["question"] for e in entries if not e.get("notice")]
        try:
            answer = self.ctx.assistant.ask(message, state)
        except IndexMissingError:
            return [*entries, {"answer": {"question": message, "answer": NO_INDEX, "citations": []}, "notice": True}]
        data = answer_json(answer)
        n = len(entries) + 1
        library, catalog = self.ctx.library, self.ctx.index.catalog
        entry = {"answer": data, "earlier": earlier, "vote": None,
                 "panel": render.cited_section_html(n, data, library, catalog),
                 "inline": render.inline_cites_html(n, data, library, catalog)}
        return [*entries, entry]

    def vote(self, entries: list[dict[str, Any]], turn: int, vote: str) -> list[dict[str, Any]]:
        """Store 👍/👎 on answer `turn` (1-based) under the data directory."""
        if not 1 <= turn <= len(entries) or entries[turn - 1].get("notice") or vote not in feedback.VOTES:
            return entries
        entry = entries[turn - 1]
        feedback.record(self.ctx.settings, vote, entry["answer"], entry.get("earlier", []))
        return [*entries[: turn - 1], {**entry, "vote": vote}, *entries[turn:]]

    def views(self, entries: list[dict[str, Any]], state: DialogueState) -> tuple[Any, ...]:
        return render.transcript_html(entries), render.panel_html(entries), entries, state

    def on_ask(self, message: str, entries: list[dict[str, Any]], state: DialogueState) -> tuple[Any, ...]:
        with self.errors("回答问题"):
            if len(entries) >= MAX_TURNS:
                entries, state = [], fresh_state(state)
            entries = self.turn(message, entries, state)
            return ("", *self.views(entries, state))

    def on_action(self, entries: list[dict[str, Any]], state: DialogueState, evt: gr.EventData) -> tuple[Any, ...]:
        """A button inside the conversation: a clarification option (asked next) or a vote."""
        with self.errors("处理操作"):
            action, turn, value = getattr(evt, "action", ""), int(getattr(evt, "turn", 0) or 0), str(getattr(evt, "value", ""))
            if action == "vote":
                entries = self.vote(entries, turn, value)
            elif action == "option" and turn == len(entries) and turn > 0:
                options = (entries[-1]["answer"].get("clarify") or {}).get("options") or []
                if value in options:
                    entries = self.turn(value, entries, state)
            return self.views(entries, state)

    def on_clear(self, state: DialogueState) -> tuple[Any, ...]:
        """A new conversation: the screen and the dialogue state both start empty."""
        return (*self.views([], fresh_state(state)), gr.File(value=None, visible=False))

    def on_export(self, entries: list[dict[str, Any]]) -> Any:
        with self.errors("导出对话"):
            path = self.export_conversation(entries)
            if path is None:
                gr.Warning("还没有对话可导出。")
                return gr.File(value=None, visible=False)
            return gr.File(value=str(path), visible=True)

    def export_conversation(self, entries: list[dict[str, Any]]) -> Path | None:
        """The conversation as a Markdown file with every answer's citations; None when empty."""
        turns = [e["answer"] for e in entries if not e.get("notice")]
        if not turns:
            return None
        path = ex.export_path(self.ctx.export_folder(), "对话记录", "md")
        path.write_text(ex.conversation_markdown(turns), encoding="utf-8")
        return path
