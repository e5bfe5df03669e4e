"""The app in a real browser: Debian's chromium driven by playwright against the app served on 127.0.0.1.

The fixture installs `chromium` and `fonts-wqy-microhei` with apt-get when /usr/bin/chromium is
missing (as root, or through passwordless sudo). The app (UI at /, API at /api) runs in-process
on an index of its own (a fresh temp dir), so the uploads here never change the session index
other tests use. Screenshots of each tab go to the reports directory; docs/screenshots/ (the
README's) are written when missing, or rewritten with JIXIAO_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
DESKTOP = {"width": 1360, "height": 860}
PHONE = {"width": 390, "height": 844}
# A table whose cells carry markup pointing at a local "beacon": a browser that rendered it would fetch it.
MARKUP_CSV = (
    "2025年项目支出绩效目标表\n部门名称:标记测试单位,,,,单位:万元\n"
    "项目名称,总计,财政拨款,财政专户拨款,其他资金,绩效目标,一级指标,二级指标,三级指标,实施周期指标值,年度指标值\n"
    "合计,1.00,1.00,,,,,,,,\n"
    "标记测试经费,1.00,1.00,,,测试,产出指标,数量指标,采购数量,![x]({beacon}/md.png),<img src={beacon}/img.png>\n"
)
# Latin words a Chinese page may show: formats, units, and the data's own file names.
ALLOWED_LATIN = {"OCR", "CSV", "XLSX", "Markdown", "MB", "txt", "csv", "xlsx", "pdf", "text", "tsv", "xlsm", "API", "docx", "html", "htm"}
FILE_NAME = re.compile(r"[\w.-]+\.(?:txt|csv|xlsx|pdf|png|docx|html?)(?::\d+)?")

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


class Beacon:
    """A local HTTP server that counts the requests it gets (none, if markup in data stays text)."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def chromium() -> Path:
    return ensure_chromium()


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    b = Beacon()
    yield b
    b.close()


@pytest.fixture(scope="module")
def served(index, seed_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    """The app on 127.0.0.1 (no login: a local user) over an index of its own: (url, assistant)."""
    from assistant import Assistant
    from index.store import Index
    from ui.access import Access
    from ui.pages import AppContext
    from ui.server import Background, start_staged

    settings = replace(index.settings, home=tmp_path_factory.mktemp("browser-home"), collection="test-browser",
                       host="127.0.0.1")
    own = Index(settings)
    own._cache = index.embedding_cache  # the same machine would share it
    assert [r.status for r in own.build([seed_path])] == ["added"]
    assistant = Assistant(own)
    assistant.warm()
    # The way `python app.py` serves: the API at once, the pages once built (and their queue started).
    with Background(start_staged(AppContext(assistant, Access()))) as url:
        deadline = time.monotonic() + 120
        while urllib.request.urlopen(url + "/api/health").status != 200 or not ui_ready(url):
            assert time.monotonic() < deadline, "the UI was not mounted within 120 s"
            time.sleep(0.1)
        yield url + "/", assistant


def ui_ready(url: str) -> bool:
    try:
        return urllib.request.urlopen(url + "/").status == 200
    except urllib.error.HTTPError as exc:
        assert exc.code == 503 and "正在启动" in exc.read().decode("utf-8")  # the page shown meanwhile
        return False


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_page(browser: Any, url: str, **context: Any) -> Any:
    ctx = browser.new_context(**{"locale": "zh-CN", "viewport": DESKTOP, "accept_downloads": True, **context})
    p = ctx.new_page()
    p.set_default_timeout(TIMEOUT_MS)
    p.goto(url, wait_until="load")
    p.get_by_role("tab", name="问答").wait_for()
    return p


@pytest.fixture(scope="module")
def page(browser: Any, served: tuple[str, Any]) -> Iterator[Any]:
    p = open_page(browser, served[0])
    yield p
    p.context.close()


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
    """Wait until no event is running: no busy status tracker on any output."""
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


def ask(page: Any, question: str) -> None:
    """Ask in the chat and wait for the answer to the question."""
    from playwright.sync_api import expect

    turns = page.locator("#chat article.turn").count()
    page.get_by_role("textbox", name="问题").fill(question)
    page.locator("#ask").click()
    expect(page.locator("#chat article.turn")).to_have_count(turns + 1)
    settle(page)


def contrast(page: Any, selector: str, pseudo: str | None = None) -> float:
    """WCAG contrast ratio of an element's text colour against the background it is drawn on."""
    colours = page.locator(selector).first.evaluate("""(el, pseudo) => {
        const fg = getComputedStyle(el, pseudo).color;
        let node = el, bg = 'rgba(0, 0, 0, 0)';
        while (node && node.nodeType === 1) {
            bg = getComputedStyle(node).backgroundColor;
            if (!/rgba\\(.*, 0\\)$|transparent/.test(bg)) break;
            node = node.parentElement;
        }
        return [fg, bg];
    }""", pseudo)

    def luminance(css: str) -> float:
        r, g, b = (int(x) / 255 for x in re.findall(r"[\d.]+", css)[:3])
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((luminance(colours[0]), luminance(colours[1])), reverse=True)
    return (a + 0.05) / (b + 0.05)


# -- 问答 ----------------------------------------------------------------------------------------------
def test_a_citation_selects_and_shows_its_row(page: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    open_tab(page, "问答")
    ask(page, "扶贫工作经费的社会效益指标是什么")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("扶贫工作经费的社会效益指标是“强化社会发动”")
    cite = chat.get_by_role("button", name=re.compile(r"查看引用 \[1\]"))
    expect(cite).to_have_text("[1]")
    cite.click()
    row = page.locator("#row-1-1")
    expect(row).to_have_class(re.compile("selected"))
    expect(row).to_be_in_viewport()
    expect(row).to_contain_text("社会效益指标")
    expect(page.locator("#ctx-1-1 mark").first).to_contain_text("强化社会发动")
    screenshot(page, shots, "chat")


def test_each_answer_keeps_its_cited_rows(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, "信创经费买几台电脑")
    n = page.locator("#chat article.turn").count()
    expect(page.locator(f"#chat #turn-{n}")).to_contain_text("(属于产出指标/数量指标)")  # not a broken link
    page.locator("#turn-1 button.cite").first.click()  # an earlier answer's citation
    expect(page.locator("#row-1-1")).to_have_class(re.compile("selected"))
    expect(page.locator("#row-1-1")).to_be_in_viewport()
    expect(page.locator("#cited-panel section.cited-turn")).to_have_count(n)


def test_a_new_conversation_forgets_the_project(page: Any) -> None:
    from playwright.sync_api import expect

    ask(page, "扶贫工作经费有哪些产出指标")
    page.locator("#clear").click()
    expect(page.locator("#chat article.turn")).to_have_count(0)
    expect(page.locator("#cited-panel section")).to_have_count(0)
    ask(page, "那它的满意度指标呢")
    # "它" means nothing now: the answer asks which project (options as buttons) and cites no row.
    expect(page.locator("#chat article.turn").last).to_contain_text("指的是哪个项目")
    expect(page.locator("#cited-panel section.cited-turn").last).to_contain_text("没有引用原表行")


# -- 文档管理, 指标浏览 ---------------------------------------------------------------------------------
def test_uploaded_tables_are_browsed_sorted_and_exported_as_shown(page: Any, served: tuple[str, Any], beacon: Beacon,
                                                                 shots: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from ui import indicators as ind

    markup = tmp_path / "markup.csv"
    markup.write_text(MARKUP_CSV.format(beacon=beacon.url), encoding="utf-8")
    open_tab(page, "文档管理")
    page.locator("#upload input[type=file]").set_input_files([str(UPLOAD), str(markup)])
    # The names show while the files are still uploading; their download links only once they are on the server.
    expect(page.locator(f'#upload a[download="{UPLOAD.name}"]')).to_have_count(1)
    expect(page.locator('#upload a[download="markup.csv"]')).to_have_count(1)
    page.locator("#ingest").click()
    report = page.locator("#upload-report")
    expect(report).to_contain_text(UPLOAD.name)
    expect(report).to_contain_text("markup.csv")
    expect(page.locator("#upload-message")).to_contain_text("导入 2 个文件")
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

    # Sorted by 项目, descending, with the search kept: the export has the table's rows in its order.
    page.locator("#browse-sort input").fill("项目")
    page.get_by_role("option", name="项目", exact=True).click()
    page.locator("#browse-desc input").check()  # at once: the app must still end with both settings applied
    expect(page.locator("#browse-note")).to_contain_text("按项目降序")
    settle(page)
    shown = table.locator("[role=row].virtual-row").evaluate_all(
        "rows => rows.sort((a, b) => a.dataset.index - b.dataset.index)"
        "            .map(r => [...r.querySelectorAll('[role=gridcell]')].map(c => c.innerText.trim()))")
    page.locator("#export-csv").click()
    link = page.locator("#browse-file a").first
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ind.COLUMNS
    project = ind.COLUMNS.index("项目")
    assert [r[project] for r in rows[1:]] == [r[project] for r in shown] and len(shown) > 1
    assert [r[ind.COLUMNS.index("指标")] for r in rows[1:]] == [r[ind.COLUMNS.index("指标")] for r in shown]
    keys = [ind.pinyin_key(r[project]) for r in rows[1:]]
    assert keys == sorted(keys, reverse=True)


def test_a_copy_is_already_there_and_a_new_version_replaces_the_old_when_asked(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    copy, newer = tmp_path / "copy.csv", tmp_path / "v2.csv"
    shutil.copyfile(UPLOAD, copy)
    newer.write_text(UPLOAD.read_text(encoding="utf-8").replace("≥5000册", "≥6000册"), encoding="utf-8")
    open_tab(page, "文档管理")
    report, table = page.locator("#upload-report"), page.locator("#doc-table")
    page.locator("#upload input[type=file]").set_input_files([str(copy)])
    expect(page.locator('#upload a[download="copy.csv"]')).to_have_count(1)
    page.locator("#ingest").click()
    expect(report).to_contain_text("已存在")
    expect(report).to_contain_text(f"内容与已导入的“{UPLOAD.name}”完全相同")
    expect(page.locator("#upload-message")).to_contain_text("1 个已存在")
    expect(table).not_to_contain_text("copy.csv")

    page.locator("#replace-period input[type=checkbox]").check()
    page.locator("#upload input[type=file]").set_input_files([str(newer)])
    expect(page.locator('#upload a[download="v2.csv"]')).to_have_count(1)
    page.locator("#ingest").click()
    expect(report).to_contain_text(f"已替换同一部门同一年度的旧版本:{UPLOAD.name}")
    expect(page.locator("#upload-message")).to_contain_text("替换了 1 份")
    expect(table).to_contain_text("v2.csv")
    expect(table).not_to_contain_text(UPLOAD.name)
    page.locator("#replace-period input[type=checkbox]").uncheck()


def test_markup_in_a_table_is_shown_as_text_and_never_fetched(page: Any, beacon: Beacon) -> None:
    from playwright.sync_api import expect

    open_tab(page, "问答")
    ask(page, "标记测试经费的采购数量是多少")
    chat, panel = page.locator("#chat"), page.locator("#cited-panel")
    expect(chat).to_contain_text("![x](")
    expect(chat).to_contain_text("<img src=")
    assert chat.locator("img").count() == 0 and panel.locator("img").count() == 0
    open_tab(page, "指标浏览")
    page.locator("#browse-query input, #browse-query textarea").first.fill("采购数量")
    page.locator("#browse-go").click()
    expect(page.locator("#browse-table")).to_contain_text("![x](")
    page.wait_for_timeout(500)
    assert beacon.hits == []


# -- 审计检查 ------------------------------------------------------------------------------------------
def test_the_audit_tab_reports_the_project_without_satisfaction(page: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    open_tab(page, "审计检查")
    settle(page)  # the tab refreshes its document list when opened
    page.locator("#audit-doc input").fill("白云区工商业联合会")
    page.get_by_role("option", name=re.compile("广州市白云区工商业联合会")).first.click()
    expect(page.locator("#audit-doc input")).to_have_value(re.compile("广州市白云区工商业联合会"))
    findings = page.locator("#audit-findings")
    expect(findings).to_contain_text("“政府雇员工资经费”没有满意度指标")
    expect(findings).to_contain_text("缺少必备指标类别")
    image = page.locator("#audit-matrix img")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", re.compile("政府雇员工资经费缺少满意度指标"))
    expect(page.locator("#audit-summary")).to_contain_text("合计 41.73 万元")
    screenshot(page, shots, "audit")


# -- how the page reads ----------------------------------------------------------------------------
def test_a_dark_english_browser_gets_the_light_chinese_page(browser: Any, served: tuple[str, Any]) -> None:
    from playwright.sync_api import expect

    p = open_page(browser, served[0], locale="en-US", color_scheme="dark")
    try:
        assert p.evaluate("document.body.classList.contains('dark') || document.documentElement.classList.contains('dark')") is False
        assert p.evaluate("document.documentElement.lang") == "zh-CN"
        assert contrast(p, "#question textarea", "::placeholder") >= 4.5
        assert p.get_by_role("textbox", name="问题").count() == 1  # announced by what it is for
        ask(p, "信创经费买几台电脑")
        assert contrast(p, "#chat button.cite") >= 4.5 and contrast(p, "#chat p.understood, #chat .a .body p") >= 4.5
        p.locator("#chat button.cite").first.click()
        expect(p.locator("#ctx-1-1 mark").first).to_be_visible()
        assert contrast(p, "#ctx-1-1 mark") >= 4.5 and contrast(p, "#ctx-1-1 td.n") >= 4.5
        latin: set[str] = set()
        for tab in ("问答", "指标浏览", "审计检查", "文档管理"):
            open_tab(p, tab)
            settle(p)
            strings = p.evaluate("""() => {
                const out = [];
                const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
                for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                    if (n.nodeType === 3) {
                        const el = n.parentElement;
                        if (el && el.offsetParent !== null && !el.closest('style, script')) out.push(n.nodeValue);
                    } else {
                        for (const a of ['aria-label', 'title', 'placeholder', 'alt']) if (n.getAttribute(a)) out.push(n.getAttribute(a));
                    }
                }
                return out;
            }""")
            for s in strings:
                latin |= set(re.findall(r"[A-Za-z]{2,}", FILE_NAME.sub("", s))) - ALLOWED_LATIN
        assert latin == set(), latin
    finally:
        p.context.close()


def test_on_a_phone_the_cited_rows_follow_the_answer(browser: Any, served: tuple[str, Any], shots: Path) -> None:
    from playwright.sync_api import expect

    p = open_page(browser, served[0], viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        ask(p, "扶贫工作经费有哪些产出指标")
        answer = p.locator("#turn-1 .body > p").last
        first = p.locator("#inline-1-1")
        expect(first).to_be_visible()
        expect(p.locator("#cited-column")).to_be_hidden()
        gap = first.bounding_box()["y"] - (answer.bounding_box()["y"] + answer.bounding_box()["height"])
        assert 0 <= gap < 120, gap  # right under the answer, not a screen below
        p.locator("#turn-1 button.cite").last.tap()
        expect(p.locator(".cite-inline.selected")).to_have_count(1)
        expect(p.locator(".cite-inline.selected")).to_be_in_viewport()
        assert p.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # nothing clipped sideways
        screenshot(p, shots, "phone")
    finally:
        p.context.close()


def test_a_reader_logs_in_in_chinese_and_cannot_upload(browser: Any, served: tuple[str, Any]) -> None:
    from playwright.sync_api import expect

    from ui.access import Access, Role
    from ui.pages import AppContext
    from ui.server import Background, build_server

    access = Access("127.0.0.1", {"ann": ("ann-secret-1", Role.READER)})
    with Background(build_server(AppContext(served[1], access))) as url:
        ctx = browser.new_context(locale="en-US", viewport=DESKTOP)
        try:
            p = ctx.new_page()
            p.set_default_timeout(TIMEOUT_MS)
            p.goto(url + "/")
            expect(p.get_by_text("请用管理员分配的账号登录。")).to_be_visible()
            p.get_by_label("用户名").fill("ann")
            p.get_by_label("密码").fill("ann-secret-1")
            p.get_by_role("button", name="登录").click()
            open_tab(p, "文档管理")
            expect(p.locator("#readonly-note")).to_contain_text("只有编辑账号可以上传或移除文档")
            expect(p.locator("#upload")).to_be_hidden()
            expect(p.locator("#remove")).to_be_hidden()
            expect(p.locator("#doc-table")).to_contain_text("2024_baiyun_gongshanglian_performance_targets.txt")
        finally:
            ctx.close()
