"""The Gradio UI: the four pages assembled, and how the page looks (theme, CSS, the early script)."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from assistant import audit
from ui.pages import AppContext, Page
from ui.pages.audit import AuditPage
from ui.pages.browse import BrowsePage
from ui.pages.chat import ChatPage
from ui.pages.documents import DocumentsPage

TITLE = "绩效问答"
STATIC = Path(__file__).resolve().parent / "static"
# Strings Gradio's frontend writes in English whatever the locale (aria-labels, tooltips, menus).
ENGLISH = {
    "Copy table data": "复制表格数据", "Copied to clipboard": "已复制到剪贴板", "Fullscreen": "全屏",
    "Exit fullscreen mode": "退出全屏", "Exit fullscreen": "退出全屏", "Table actions": "表格操作", "Dataframe": "数据表",
    "Open cell menu": "打开列菜单", "Filter...": "筛选…", "Filter": "筛选", "Clear filters": "清除筛选",
    "Enter text to filter the table": "输入文字筛选表格", "Enter text to search the table": "输入文字搜索表格",
    "Search...": "搜索…", "Download": "下载", "Clear": "清除", "Remove": "移除", "Share": "分享", "Copy": "复制",
    "Copied!": "已复制", "Copied": "已复制", "Close": "关闭", "Undo": "撤销", "Error": "错误", "Warning": "警告",
    "Info": "提示", "Loading...": "加载中…", "Loading": "加载中", "Sort ascending": "升序排序",
    "Sort descending": "降序排序", "Clear sort": "清除排序", "Dropdown": "下拉选择", "Textbox": "文本框",
    "Checkbox group": "复选框组", "Image": "图片", "File": "文件", "Clear All": "全部清除", "Upload": "上传",
    "Select all": "全选", "Expand": "展开", "Collapse": "收起", "Image preview": "图片预览",
    "Click to Upload": "点击上传", "Drop File Here": "将文件拖放到此处", "- or -": "- 或 -",
    "common.complete": "已完成",  # a status key Gradio's zh-CN catalogue lacks (read out by screen readers)
    "Click to upload or drop files": "点击上传或拖放文件", "File upload": "上传文件", "More tabs": "更多标签页",
    # a checkbox's title is its value: the audit rules' codes
    **{r.code: r.title for r in audit.RULES},
}
THEME = gr.themes.Default(primary_hue="blue", neutral_hue="gray").set(
    input_placeholder_color="#5f6673",
    body_text_color_subdued="#4a4f57",
    block_info_text_color="#4a4f57",
)


def early_script() -> str:
    """The <script> that must run before Gradio's own (locale, light scheme, Chinese for hard-coded strings)."""
    code = (STATIC / "page.js").read_text(encoding="utf-8").replace("__WORDS__", json.dumps(ENGLISH, ensure_ascii=False))
    return f"<script>{code}</script>"


def css() -> str:
    return (STATIC / "app.css").read_text(encoding="utf-8")


def build_ui(ctx: AppContext) -> gr.Blocks:
    """The whole UI; every callback goes through `ctx` (the assistant and the access rules)."""
    pages: list[Page] = [ChatPage(ctx), BrowsePage(ctx), AuditPage(ctx), DocumentsPage(ctx)]
    # Gradio's cache (uploads, copies of exports) is emptied of files older than a day, every hour.
    with gr.Blocks(title=TITLE, delete_cache=(3600, 24 * 3600)) as demo:
        gr.HTML(f"<header><h1>{TITLE}</h1><p>用中文提问项目支出绩效目标表的内容,浏览和检查全部绩效指标。"
                "每个回答都标注引用的原表行。</p></header>", elem_id="app-header")
        for page in pages:
            with gr.Tab(page.title, id=page.tab_id) as page.tab:
                page.on_building_ui()
        for page in pages:
            page.on_register_events()
        for page in pages:
            page.on_app_load(demo)
    return demo
