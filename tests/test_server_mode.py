"""Server mode: app instances and the CLI share one real `chroma run` server (JIXIAO_CHROMA_URL)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on 127.0.0.1 with its own data directory, stopped by PID afterwards."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma CLI at {CHROMA}")
    path = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (path / "server.log").open("wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(path / "data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start: {(path / 'server.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def server_settings(chroma_url: str, settings, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return replace(settings, home=tmp_path_factory.mktemp("app-a"), chroma_url=chroma_url, collection="server-test")


@pytest.fixture(scope="module")
def served(server_settings, index, seed_path: Path):  # type: ignore[no-untyped-def]
    """The seed built into the server by one app instance (sharing the session's embedding cache)."""
    from index.store import Index

    idx = Index(server_settings, embedding_cache=index.embedding_cache)
    reports = idx.build([seed_path])
    assert [r.status for r in reports] == ["added"], reports
    return idx


def test_rows_live_in_the_server_not_in_the_app_home(served, server_settings) -> None:
    assert served.rows.count() == 35
    assert not (server_settings.home / "chroma").exists()
    [doc] = served.documents()
    assert doc.department == "广州市白云区工商业联合会"


def test_dense_and_answers_work_against_the_server(served) -> None:
    from assistant import Assistant

    hits = served.dense("满意度", k=5, where={"project": "信创工作经费"})
    assert hits and {served.catalog.by_id[i].project for i, _ in hits} == {"信创工作经费"}
    answer = Assistant(served).ask("扶贫工作经费的社会效益指标是什么")
    assert answer.found
    assert "强化社会发动" in {getattr(r, "indicator", "") for r in answer.citations}


def test_a_second_app_instance_sees_the_same_rows_and_follows_changes(served, server_settings, seed_path: Path,
                                                                        tmp_path: Path) -> None:
    from assistant import Assistant
    from index.store import Index

    other = Index(replace(server_settings, home=tmp_path / "app-b"), embedding_cache=served.embedding_cache)
    assert sorted(other.rows.get(include=[])["ids"]) == sorted(served.rows.get(include=[])["ids"])
    assert [r.id for r in other.catalog.records] == [r.id for r in served.catalog.records]
    answer = Assistant(other).ask("信创工作经费买几台电脑")
    assert answer.found and answer.citations

    # The first instance adds a second table; the second one notices on its next check.
    other.recheck_s = 0.0
    copy = tmp_path / "copy" / "2024_copy_of_seed.txt"
    copy.parent.mkdir()
    shutil.copy(seed_path, copy)
    text = copy.read_text(encoding="utf-8").replace("广州市白云区工商业联合会", "广州市白云区科学技术协会")
    copy.write_text(text, encoding="utf-8")
    [report] = served.build([copy])
    assert report.status == "added"
    assert {d.source for d in other.catalog.documents} == {seed_path.name, copy.name}
    assert len(other.catalog.records) == 70
    assert served.remove(copy.name) == 35
    assert len(other.catalog.records) == 35


def test_the_cli_reads_the_server_when_the_setting_points_at_it(served, chroma_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "JIXIAO_CHROMA_URL": chroma_url, "JIXIAO_HOME": str(tmp_path / "cli-home"),
           "JIXIAO_COLLECTION": "server-test"}
    out = subprocess.run([sys.executable, "-m", "index", "list"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert "广州市白云区工商业联合会" in out.stdout
    asked = subprocess.run([sys.executable, "-m", "assistant", "ask", "扶贫工作经费的社会效益指标是什么", "--json"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(asked.stdout)
    assert result["found"] and any(c["indicator"] == "强化社会发动" for c in result["citations"])
    assert not (tmp_path / "cli-home" / "chroma").exists()
