"""Web pages (.html/.htm): tables with rowspan/colspan expanded, and the text around them.

Text outside tables (title, `单位:万元`) becomes one-cell rows, table rows become rows of cells;
rows are numbered in page order, and that number is the `line` records cite. A rowspan or
colspan is bounded before it is expanded (JIXIAO_MAX_CELLS); scripts and styles are skipped; a
table inside a cell is read as that cell's text.
"""

from __future__ import annotations

from html.parser import HTMLParser

from ingest.limits import budget
from ingest.table import Row, Sheet

BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "title", "section", "article", "caption", "tr"}
SKIP_TAGS = {"script", "style", "noscript", "template", "head"}
MAX_SPAN = 1000


class _Cell:
    def __init__(self, rowspan: int, colspan: int) -> None:
        self.rowspan = rowspan
        self.colspan = colspan
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


class _Page(HTMLParser):
    """Collects blocks in order: ("text", str) or ("table", rows of _Cell)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, object]] = []
        self.text: list[str] = []
        self.skip = 0
        self.depth = 0  # table nesting
        self.rows: list[list[_Cell]] = []
        self.cell: _Cell | None = None

    def flush_text(self) -> None:
        text = " ".join("".join(self.text).split())
        if text:
            self.blocks.append(("text", text))
        self.text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        budget().tick()
        if tag in SKIP_TAGS:
            self.skip += 1
            return
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.flush_text()
                self.rows = []
            return
        if self.depth == 1:
            if tag == "tr":
                self.rows.append([])
                self.cell = None
            elif tag in ("td", "th"):
                if not self.rows:
                    self.rows.append([])
                a = dict(attrs)
                self.cell = _Cell(_span(a.get("rowspan")), _span(a.get("colspan")))
                self.rows[-1].append(self.cell)
            elif tag == "br" and self.cell is not None:
                self.cell.parts.append("\n")
        elif self.depth == 0 and tag in BLOCK_TAGS:
            self.flush_text()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "table" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.blocks.append(("table", self.rows))
                self.rows = []
                self.cell = None
            return
        if self.depth == 1 and tag in ("td", "th"):
            self.cell = None
        elif self.depth == 0 and tag in BLOCK_TAGS:
            self.flush_text()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.depth >= 1:
            if self.cell is not None:
                self.cell.parts.append(data)
        else:
            self.text.append(data)


def _span(value: str | None) -> int:
    try:
        return max(1, int(str(value).strip()))
    except (TypeError, ValueError):
        return 1


def _expand(rows: list[list[_Cell]]) -> list[tuple[list[str], frozenset[int]]]:
    """Table rows with spans filled: a rowspan repeats its text below, a colspan to the right."""
    b = budget()
    out: list[tuple[list[str], frozenset[int]]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
    total = 0
    for n, row in enumerate(rows):
        b.add_rows()
        cells: list[str] = []
        merged: set[int] = set()
        queue = list(row)
        col = 0
        while queue or any(c >= col for c in carry):
            if col in carry:
                text, left = carry[col]
                cells.append(text)
                merged.add(col)
                if left <= 1:
                    del carry[col]
                else:
                    carry[col] = (text, left - 1)
                col += 1
                continue
            if not queue:
                break
            cell = queue.pop(0)
            rowspan = min(cell.rowspan, len(rows) - n, MAX_SPAN)
            colspan = min(cell.colspan, MAX_SPAN)
            b.check_merged(rowspan * colspan, f"rowspan={cell.rowspan} colspan={cell.colspan}", "网页表格")
            for k in range(colspan):
                cells.append(cell.text)
                if k:
                    merged.add(col + k)
                if rowspan > 1:
                    carry[col + k] = (cell.text, rowspan - 1)
            col += colspan
        total += len(cells)
        b.check_cells(total, "网页表格")
        out.append((cells, frozenset(merged)))
    return out


def read_html(text: str) -> list[Sheet]:
    """The page as one Sheet (positional cells)."""
    page = _Page()
    page.feed(text)
    page.close()
    page.flush_text()
    if page.depth and page.rows:  # an unclosed table
        page.blocks.append(("table", page.rows))
    rows: list[Row] = []
    for kind, content in page.blocks:
        if kind == "text":
            assert isinstance(content, str)
            rows.append(Row(len(rows) + 1, [content], True, content))
            budget().add_rows()
        else:
            assert isinstance(content, list)
            for cells, merged in _expand(content):
                rows.append(Row(len(rows) + 1, cells, True, "\t".join(cells).rstrip("\t"), merged))
    return [Sheet("", rows, positional=True)]
