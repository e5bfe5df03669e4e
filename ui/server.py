"""The web server: one FastAPI app with the REST API under /api and the Gradio UI at /, served by uvicorn.

`serve_staged` answers questions as soon as the index is open: the API is served first, without
Gradio (importing it and building the pages takes seconds, and at 100k rows longer); the UI is
built on a thread meanwhile, and until it is mounted / shows a page that says so.

What is reachable: the UI (login when configured), the API (bearer tokens when configured), and
files under `$JIXIAO_HOME/exports` (what users export). Nothing else of the data directory is
served: not the Chroma database, the embedding cache nor the catalog.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from ui.api import build_api
from ui.context import AppContext

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


def build_server(ctx: AppContext, api: FastAPI | None = None) -> FastAPI:
    """The app: REST API at /api (docs at /api/docs), the UI at /. `api`: an API app already built."""
    import gradio as gr

    from ui.blocks import THEME, TITLE, build_ui, css, early_script
    from ui.pages.chat import ASK_CONCURRENCY

    app = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/api", api or build_api(ctx))
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


def serve(app: Any, host: str, port: int) -> None:
    """Run until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


STARTING_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="1">
<title>绩效问答</title></head><body style="font-family:sans-serif;color:#222;margin:3em">
<h1>绩效问答</h1><p>界面正在启动,请稍候(页面会自动刷新)。问答接口 /api 已经可以使用。</p></body></html>"""


class StagedApp:
    """The ASGI app `serve_staged` runs: the API at once, the whole app (API + UI) once it is built.

    Until then / answers 503 with a page that refreshes itself. The whole app's lifespan (Gradio's
    queue and startup events) is run on the server's loop when it arrives, and ended with the server.
    """

    def __init__(self, ctx: AppContext) -> None:
        self.api = build_api(ctx)
        self.early = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        self.early.mount("/api", self.api)

        @self.early.get("/{rest:path}", include_in_schema=False)
        def starting(rest: str) -> HTMLResponse:
            return HTMLResponse(STARTING_PAGE, status_code=503, headers={"Retry-After": "1"})

        self.full: Any = None
        self.failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lifespan: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        await (self.full or self.early)(scope, receive, send)

    async def _serve_lifespan(self, receive: Callable[[], Awaitable[Message]],
                              send: Callable[[Message], Awaitable[None]]) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loop = asyncio.get_running_loop()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._stop.set()
                if self._lifespan is not None:
                    await self._lifespan
                await send({"type": "lifespan.shutdown.complete"})
                return

    def build_ui(self, ctx: AppContext) -> None:
        """Build the whole app (on a thread of its own) and switch to it once its lifespan has started."""
        try:
            full = build_server(ctx, self.api)
        except BaseException as exc:  # the API keeps serving; the page says the UI failed
            _log.exception("界面启动失败")
            self.failed = exc
            return
        while self._loop is None:  # the server has not started its loop yet
            time.sleep(0.01)
        started = threading.Event()
        self._loop.call_soon_threadsafe(lambda: setattr(self, "_lifespan", asyncio.ensure_future(
            self._run_lifespan(full, started))))
        started.wait()
        self.full = full

    async def _run_lifespan(self, app: Any, started: threading.Event) -> None:
        """Drive an ASGI app's lifespan: start it, then end it when the server stops."""
        queue: asyncio.Queue[Message] = asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})

        async def send(message: Message) -> None:
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                started.set()

        async def stop_later() -> None:
            await self._stop.wait()
            await queue.put({"type": "lifespan.shutdown"})

        stopper = asyncio.ensure_future(stop_later())
        try:
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, queue.get, send)
        finally:
            started.set()
            stopper.cancel()


def start_staged(ctx: AppContext) -> StagedApp:
    """The staged app, its UI being built on a thread of its own."""
    staged = StagedApp(ctx)
    threading.Thread(target=staged.build_ui, args=(ctx,), name="build-ui", daemon=True).start()
    return staged


def serve_staged(ctx: AppContext, host: str, port: int) -> None:
    """Serve the API now and the UI as soon as it is built; run until interrupted."""
    serve(start_staged(ctx), host, port)


class Background:
    """The app served on a thread (tests, the load script): `with Background(app) as url: ...`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
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
