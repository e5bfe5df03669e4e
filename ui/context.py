"""What the API and the pages share, without Gradio: the app context (assistant, library, access),
exports, and how errors and answers are shown to users. The API imports only this, so it can serve
questions before the Gradio UI is built (ui/server.py).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant import Answer, Assistant
from index.library import Library
from index.store import FileReport, Index
from settings import Settings
from ui.access import Access, Role

_log = logging.getLogger("ui")
MAX_QUESTION_CHARS = 500
EXPORT_KEEP_S = 24 * 3600  # exports are kept a day: long enough to download, not forever
EDITOR_ONLY = "只有编辑账号可以上传或移除文档;当前账号只能提问、浏览和导出。"


@dataclass
class AppContext:
    """What every page works with: the assistant (and its index), the document library over the
    same index, and who may do what."""

    assistant: Assistant
    access: Access
    # Opened with the app: opening finishes operations a killed process left and removes stale staging.
    library: Library = field(init=False)

    def __post_init__(self) -> None:
        self.library = Library(self.assistant.index)

    @property
    def index(self) -> Index:
        return self.assistant.index

    @property
    def settings(self) -> Settings:
        return self.assistant.index.settings

    @property
    def exports_dir(self) -> Path:
        """The only folder whose files the app serves: exports and drawn matrices."""
        return exports_dir(self.settings)

    def export_folder(self) -> Path:
        """A new folder for one export: an unguessable name, so one user's file is not another's to fetch."""
        return new_export_folder(self.exports_dir)

    def role(self, request: Any) -> Role | None:
        """The role of whoever sent a UI event (a gr.Request; an editor when the UI has no login)."""
        return self.access.user_role(getattr(request, "username", None) if request is not None else None)

    def is_editor(self, request: Any) -> bool:
        return self.role(request) == Role.EDITOR


def exports_dir(settings: Settings) -> Path:
    """`$JIXIAO_HOME/exports`: what users download (the rest of the data directory is never served)."""
    return settings.home / "exports"


def new_export_folder(root: Path, keep_s: float = EXPORT_KEEP_S) -> Path:
    """`root/<random>/`, after removing the folders of exports older than `keep_s`."""
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        if old.is_dir() and old.name.startswith("x-") and now - old.stat().st_mtime > keep_s:
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"x-{secrets.token_hex(12)}"
    folder.mkdir()
    return folder


# An absolute path on this machine (ASCII: the Chinese after a path is never taken as part of it).
_SERVER_PATH = re.compile(r"(?<![\w.~/:])/[A-Za-z0-9_.+@%~-]+(?:/[A-Za-z0-9_.+@%~-]*)*")


def public_message(exc: BaseException, settings: Settings | None = None) -> str:
    """An error's Chinese message as users and API callers see it: the data directory named by its
    setting (JIXIAO_HOME), no other server path. The full message goes to the log."""
    text = str(exc)
    if settings is not None:
        homes = {str(settings.home), str(settings.home.resolve())}
        for home in sorted(homes, key=len, reverse=True):
            text = text.replace(home, "JIXIAO_HOME")
    return _SERVER_PATH.sub("(服务器路径)", text)




def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer as the `ask --json` contract has it, with its clarification when the assistant asks one."""
    data = answer.to_json()
    clarify = getattr(answer, "clarify", None)
    if clarify is not None and "clarify" not in data:
        data["clarify"] = {"question": clarify.question, "options": list(clarify.options)}
    return data


def error_reason(report: FileReport) -> str:
    """Why a file was not indexed: the parser's message without the file name it starts with (the
    report names the file)."""
    text = report.error
    return text.split(": ", 1)[-1] if text.startswith(report.source) else text
