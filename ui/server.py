"""The web server: one FastAPI app with the REST API under /api and the Gradio UI at /, served by uvicorn.

What is reachable: the UI (login when configured), the API (bearer tokens when configured), and
files under `$JIXIAO_HOME/exports` (what users export). Nothing else of the data directory is
served: not the Chroma database, the embedding cache nor the catalog.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI

from ui.api import build_api
from ui.blocks import THEME, TITLE, build_ui, css, early_script
from ui.pages import AppContext
from ui.pages.chat import ASK_CONCURRENCY

_log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
QUEUE_SIZE = 200  # UI events waiting at most; beyond that Gradio tells the user the server is busy
_HEAD = re.compile(rb"<head[^>]*>", re.I)
_LANG = re.compile(rb'lang="en"')


class EarlyScript:
    """Puts a script first in the <head> of every HTML page outside /api.

    Gradio inserts its `head` setting only after its own scripts have run, too late to fix the
    locale and the colour scheme it reads on start. Compressed responses are avoided for these
    pages so the HTML can be edited.
    """

    def __init__(self, app: ASGIApp, script: str) -> None:
        self.app = app
        self.script = script.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(("/api", "/gradio_api")):
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: Message | None = None
        chunks: list[bytes] = []

        async def edit(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = _HEAD.sub(lambda m: m.group(0) + self.script, b"".join(chunks), count=1)
            body = _LANG.sub(b'lang="zh-CN"', body, count=1)  # what screen readers read before any script runs
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, edit)


def build_server(ctx: AppContext) -> FastAPI:
    """The app: REST API at /api (docs at /api/docs), the UI at /."""
    app = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/api", build_api(ctx))
    demo = build_ui(ctx)
    demo.queue(default_concurrency_limit=ASK_CONCURRENCY, max_size=QUEUE_SIZE)
    ctx.exports_dir.mkdir(parents=True, exist_ok=True)
    access = ctx.access
    app = gr.mount_gradio_app(
        app, demo, path="/",
        auth=access.login if access.ui_login else None,
        auth_message="请用管理员分配的账号登录。" if access.users else "此服务没有配置界面账号(JIXIAO_READERS / JIXIAO_EDITORS)。",
        allowed_paths=[str(ctx.exports_dir)],  # exports only: never the data directory itself
        max_file_size=int(ctx.settings.upload_max_mb * 1024 * 1024), footer_links=[], show_error=False, ssr_mode=False,
        theme=THEME, css=css(), server_name=ctx.settings.host, server_port=ctx.settings.port,
    )
    # mount_gradio_app leaves this False, which switches off Gradio's own check that a file an
    # event receives was uploaded (the pages check again on their own).
    demo.has_launched = True
    app.add_middleware(EarlyScript, script=early_script())
    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    """Run until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


class Background:
    """The app served on a thread (tests, the load script): `with Background(app) as url: ...`."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, log_level="warning",
                                                    timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.05)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
