"""The UI's tabs. Each page builds its layout in `on_building_ui` and wires its events in
`on_register_events` (after every page is built, so a page may listen to another's components).
Callbacks are methods of plain values, so tests call them without a browser.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Assistant
from errors import JixiaoError
from index.library import Library
from index.store import Index
from settings import Settings
from ui.access import Access, Role

_log = logging.getLogger("ui")
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

    def role(self, request: gr.Request | None) -> Role | None:
        """The role of whoever sent a UI event (an editor when the UI has no login)."""
        return self.access.user_role(getattr(request, "username", None) if request is not None else None)

    def require_editor(self, request: gr.Request | None) -> None:
        if self.role(request) != Role.EDITOR:
            raise gr.Error(EDITOR_ONLY)


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


@contextmanager
def user_errors(action: str, settings: Settings | None = None) -> Iterator[None]:
    """Turn an error into a Chinese sentence for the user (a toast); details (paths, internals) go to the log."""
    try:
        yield
    except gr.Error:
        raise
    except JixiaoError as exc:
        _log.warning("%s: %s", action, exc)
        raise gr.Error(f"{action}失败:{public_message(exc, settings)}") from None
    except Exception:
        _log.exception("%s failed", action)
        raise gr.Error(f"{action}时出错了,请稍后再试;详细信息已写入服务器日志。") from None


class Page:
    """One tab of the app."""

    title = ""
    tab_id = ""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.tab: Any = None

    def errors(self, action: str) -> AbstractContextManager[None]:
        """`user_errors` with this app's data directory named by its setting."""
        return user_errors(action, self.ctx.settings)

    def on_building_ui(self) -> None:
        """Create the tab's components (inside its gr.Tab)."""
        raise NotImplementedError

    def on_register_events(self) -> None:
        """Wire the tab's events, each once."""
        raise NotImplementedError

    def on_app_load(self, demo: gr.Blocks) -> None:
        """Events to run when a browser opens the app (none by default)."""
