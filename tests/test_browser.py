"""The app in a real browser: Debian's chromium driven by playwright against the app served on 127.0.0.1.

The fixture installs `chromium` and `fonts-wqy-microhei` with apt-get when /usr/bin/chromium is
missing (as root, or through passwordless sudo). The app runs in-process on an index of its own
(a fresh temp dir), so the upload here never changes the session index other tests use.
Screenshots of each tab go to the reports directory; docs/screenshots/ (the README's) are
written when missing, or rewritten with JIXIAO_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
UPLOAD = Path(__file__).parent / "fixtures" / "upload_sample.csv"
CHROMIUM = Path("/usr/bin/chromium")
APT_PACKAGES = ("chromium", "fonts-wqy-microhei")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DOC_SHOTS = ROOT / "docs" / "screenshots"
DOC_SHOT_MAX_BYTES = 150_000
TIMEOUT_MS = 20_000

# Gradio's own event analytics trips pandas 3 deprecations; nothing of ours.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


def ensure_chromium() -> Path:
    """/usr/bin/chromium, installed with apt-get (with a CJK font) when missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.skip("没有 apt-get,无法安装 chromium:浏览器端到端测试需要 Debian/Ubuntu 的 /usr/bin/chromium")
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        pytest.skip("安装 chromium 需要 root 或免密码 sudo")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args, timeout in (([apt, "update", "-q"], 600),
                          ([apt, "install", "-y", "-q", "--no-install-recommends", *APT_PACKAGES], 1200)):
        done = subprocess.run([*prefix, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    if not CHROMIUM.exists():
        raise RuntimeError(f"apt-get installed {APT_PACKAGES} but {CHROMIUM} is still missing")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Path:
    return ensure_chromium()


@pytest.fixture(scope="module")
def served(index, seed_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    """The app on 127.0.0.1 over an index of its own: (url, assistant)."""
    import app
    from assistant import Assistant
    from index.store import Index

    settings = replace(index.settings, home=tmp_path_factory.mktemp("browser-home"), collection="test-browser",
                       host="127.0.0.1")
    own = Index(settings)
    own._cache = index.embedding_cache  # the same machine would share it
    assert [r.status for r in own.build([seed_path])] == ["added"]
    assistant = Assistant(own)
    assistant.warm()
    demo = app.build_app(assistant)
    port = _free_port()
    app.launch(demo, settings, port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", assistant
    finally:
        demo.close()


@pytest.fixture(scope="module")
def page(chromium: Path, served: tuple[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    url, _ = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 860}, accept_downloads=True)
        p = context.new_page()
        p.set_default_timeout(TIMEOUT_MS)
        p.goto(url, wait_until="load")
        p.get_by_role("tab", name="问答").wait_for()
        try:
            yield p
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    from settings import Settings

    folder = Settings().reports_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(autouse=True)
def evidence(request: pytest.FixtureRequest, shots: Path) -> Iterator[None]:
    """On failure, keep a screenshot and the page's HTML in the reports directory."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed and "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        name = f"failed-{request.node.name}"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        (shots / f"{name}.html").write_text(page.content(), encoding="utf-8")


def settle(page: Any) -> None:
    """Wait until no event is running: no "processing | 0.8s" text, no busy status tracker on any output."""
    from playwright.sync_api import expect

    expect(page.get_by_text(re.compile(r"processing \||处理中"))).to_have_count(0)
    expect(page.locator('[data-testid="status-tracker"]:not(.hide)')).to_have_count(0)
    page.wait_for_timeout(300)  # the outputs fade back in


def screenshot(page: Any, shots: Path, name: str) -> None:
    """A full screenshot into the reports directory, and a small one for the README."""
    from PIL import Image

    settle(page)
    full = shots / f"{name}.png"
    page.screenshot(path=str(full))
    target = DOC_SHOTS / f"{name}.png"
    if target.exists() and os.environ.get("JIXIAO_UPDATE_SCREENSHOTS") != "1":
        return
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    with Image.open(full) as img:
        small = img.convert("RGB")
        small.thumbnail((1100, 1100))
        for colours in (96, 64, 32):
            buf = io.BytesIO()
            small.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
            if buf.tell() < DOC_SHOT_MAX_BYTES:
                break
    target.write_bytes(buf.getvalue())
    assert target.stat().st_size < DOC_SHOT_MAX_BYTES


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_the_flagship_question_is_answered_with_its_cited_row(page: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    open_tab(page, "问答")
    page.locator("#question textarea").fill("扶贫工作经费的社会效益指标是什么")
    page.locator("#ask").click()
    expect(page.locator("#chatbot")).to_contain_text("扶贫工作经费的社会效益指标是“强化社会发动”")
    expect(page.locator("#chatbot")).to_contain_text("[1]")
    cited = page.locator("#cited")
    expect(cited).to_contain_text("强化社会发动")
    expect(cited).to_contain_text("社会效益指标")
    expect(page.locator("#quotes mark").first).to_contain_text("强化社会发动")
    screenshot(page, shots, "chat")


def test_an_uploaded_csv_is_browsed_filtered_and_exported(page: Any, served: tuple[str, Any], shots: Path) -> None:
    from playwright.sync_api import expect

    import app

    open_tab(page, "文档管理")
    page.locator("#upload input[type=file]").set_input_files(str(UPLOAD))
    # The name shows while the file is still uploading; its download link only once it is on the server.
    expect(page.locator(f'#upload a[download="{UPLOAD.name}"]')).to_have_count(1)
    page.locator("#ingest").click()
    report = page.locator("#upload-report")
    expect(report).to_contain_text("已导入")
    expect(report).to_contain_text(UPLOAD.name)
    expect(page.locator("#doc-table")).to_contain_text("广州市白云区图书馆")
    screenshot(page, shots, "documents")

    open_tab(page, "指标浏览")
    table = page.locator("#browse-table")
    expect(table).to_contain_text("新增馆藏图书册数")  # the tab refreshes from the index when opened
    page.locator("#browse-query input, #browse-query textarea").first.fill("图书采购")
    page.locator("#browse-go").click()
    expect(page.locator("#browse-note")).to_contain_text("检索“图书采购”")
    expect(table).to_contain_text("图书验收合格率")
    table.get_by_text("读者满意度", exact=True).first.click()
    expect(page.locator("#browse-source mark").first).to_contain_text("读者满意度")
    screenshot(page, shots, "browse")

    page.locator("#export-csv").click()
    link = page.locator("#browse-file a").first
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == app.BROWSE_COLUMNS
    shown = app.browse(served[1], "图书采购")
    assert rows[1:] == [[str(c) for c in r] for r in shown.rows]
    project = app.BROWSE_COLUMNS.index("项目")
    assert sum(r[project] == "图书采购经费" for r in rows[1:]) == 5


def test_the_audit_tab_reports_the_project_without_satisfaction(page: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    open_tab(page, "审计检查")
    findings = page.locator("#audit-findings")
    expect(findings).to_contain_text("“政府雇员工资经费”没有满意度指标")
    expect(findings).to_contain_text("缺少必备指标类别")
    expect(page.locator("#audit-matrix img")).to_be_visible()
    expect(page.locator("#audit-summary")).to_contain_text("合计 41.73 万元")
    screenshot(page, shots, "audit")
