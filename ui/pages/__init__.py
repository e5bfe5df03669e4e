"""The UI's tabs. Each page builds its layout in `on_building_ui` and wires its events in
`on_register_events` (after every page is built, so a page may listen to another's components).
Callbacks are methods of plain values, so tests call them without a browser.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import gradio as gr

from errors import JixiaoError
from settings import Settings
from ui.context import EDITOR_ONLY, AppContext, exports_dir, new_export_folder, public_message

__all__ = ["AppContext", "Page", "exports_dir", "new_export_folder", "public_message", "require_editor", "user_errors"]

_log = logging.getLogger("ui")


def require_editor(ctx: AppContext, request: gr.Request | None) -> None:
    """Stop a UI event of a reader (a toast) where only editors may act."""
    if not ctx.is_editor(request):
        raise gr.Error(EDITOR_ONLY)


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
