"""`python app.py` as a user starts it: questions are answered before the pages are built, then the pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ui.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def ask(url: str, question: str) -> dict:
    request = urllib.request.Request(f"{url}/api/ask", data=json.dumps({"question": question}).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_app_answers_first_and_then_serves_its_pages(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")}
    env.update(JIXIAO_HOME=str(tmp_path), JIXIAO_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        answer = None
        while answer is None:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "no answer within 180 s"
            try:
                answer = ask(url, "扶贫工作经费的社会效益指标是什么")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert [(c["project"], c["indicator"]) for c in answer["citations"]][:1] == [("扶贫工作经费", "强化社会发动")]
        while (code := status(url + "/")) != 200:
            assert code == 503 and time.monotonic() < deadline, code  # "正在启动" until the pages are mounted
            time.sleep(0.1)
        page = urllib.request.urlopen(url + "/", timeout=10).read().decode("utf-8")
        assert 'lang="zh-CN"' in page
        assert status(url + "/config") == 200  # Gradio's own routes are served (its lifespan ran)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode in (0, -15)
