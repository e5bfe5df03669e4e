"""绩效问答 — serve the UI at / and the REST API at /api (docs at /api/docs).

Run: `python app.py` (builds the index from data/ first if it is empty). Listens on
JIXIAO_HOST:JIXIAO_PORT (127.0.0.1:7860); another address needs credentials (ui/access.py).
The pages are in ui/pages/, the API in ui/api.py, the assembly in ui/server.py.
"""

from __future__ import annotations

import logging
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from settings import Settings, configure_caches


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from errors import JixiaoError
    from ui.access import Access

    settings = Settings()
    try:
        access = Access.from_env(settings.host)  # refuse before loading anything when bound without credentials
    except JixiaoError as exc:
        print(f"无法启动:{exc}", file=sys.stderr)
        return 2
    configure_caches(settings)
    from assistant import Assistant
    from index import open_index
    from ui.context import AppContext
    from ui.server import serve_staged

    try:
        index = open_index(settings)
        if index.is_empty():
            print(f"索引为空,正在从 {settings.data_dir} 导入样例数据…")
            index.build([settings.data_dir])
        assistant = Assistant(index)
        assistant.warm()
        ctx = AppContext(assistant, access)
    except JixiaoError as exc:  # e.g. the index was built with another embedding model
        print(f"无法启动:{exc}", file=sys.stderr)
        return 2
    who = "需要登录" if access.ui_login else "本机使用,无需登录"
    print(f"绩效问答已启动:界面 http://{settings.host}:{settings.port}/({who}),"
          f"API http://{settings.host}:{settings.port}/api(文档 /api/docs)")
    # Questions are answered as soon as the index is open; the pages are built meanwhile.
    serve_staged(ctx, settings.host, settings.port)
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
