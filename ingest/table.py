"""Tables as rows of cells, whatever the file: spreadsheet sheets, HTML/DOCX tables, and text
copied from web pages (pipe-, tab- or space-separated, or one cell per line).

A Row keeps the line a user sees (text line, spreadsheet row) and its verbatim text for quotes.
Cells of real grids sit in their columns (`Sheet.positional`); cells of text copies do not: merged
cells collapse, so a continuation row starts further left, and text split at single spaces may
cut a cell in two (`Row.exact` False). `ingest.align` places such cells by what they hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.limits import budget

_MARKER = re.compile(r"^\s*\|+\s*$")  # a line of pipes only: a row boundary or an empty cell



class _CellLine:
    """`text |`: one cell of a one-cell-per-line copy (a plain test: a regex here backtracks on long lines).

    `text | ||||` is the row's last cell with the empty cells of its colspan after it: it closes the row."""

    @staticmethod
    def match(line: str) -> bool:
        body = line.rstrip()
        if not body.endswith("|"):
            return False
        first = body.index("|")
        return bool(body[:first].strip()) and (first == len(body) - 1 or not body[first:].strip("| "))

    @staticmethod
    def closes(line: str) -> bool:
        """A cell line with pipes after its own: the last cell of its row."""
        body = line.rstrip()
        return body.count("|") > 1


_CELL_LINE = _CellLine()
_TOKEN = re.compile(r"\S+")
_WIDE_GAP = re.compile(r"\S(?: {2,}|\u3000+)\S")
_NARROW_GAP = re.compile(r"\S \S")
_SPLIT_NUMBER = re.compile(r"(?:^|[^\d])\d[\d,]*[.,]$")


@dataclass
class Row:
    """One table row: where it is, its cells, and its verbatim text."""

    line: int  # 1-based line / row number as cited
    cells: list[str]
    exact: bool = True  # False: cells are space-separated tokens, a cell may span several
    text: str = ""  # the row as the source prints it
    merged: frozenset[int] = frozenset()  # cells filled from a merged range or rowspan
    seps: list[str] = field(default_factory=list)  # inexact rows: the spaces after each token
    end_line: int = 0  # last source line of a row spread over several lines
    cell_lines: list[int] = field(default_factory=list)  # one cell per line: each cell's line (parallel to cells)
    guessed: bool = False  # cells the copy ran together, told apart by content (ingest.stream): said in a warning

    @property
    def filled(self) -> list[str]:
        return [c for c in self.cells if c.strip()]

    def join(self, start: int, stop: int) -> str:
        """Cells start..stop-1 as one text, with the spaces the source put between them."""
        if self.exact or not self.seps:
            return " ".join(self.cells[start:stop])
        parts: list[str] = []
        for i in range(start, stop):
            parts.append(self.cells[i])
            if i < stop - 1:
                parts.append(self.seps[i])
        return "".join(parts)


@dataclass
class Sheet:
    """The rows of one worksheet / table / text file."""

    name: str  # worksheet or table name; "" for a single table
    rows: list[Row]
    positional: bool = True  # cells sit in their header's columns (spreadsheets, expanded HTML/DOCX tables)
    delimiter: str = ""  # how a text copy was split: tab, pipe, cells (one per line), spaces, space
    lines: list[str] = field(default_factory=list)  # a text copy's lines as printed (quotes of re-cut rows)


def text_delimiter(lines: list[str]) -> str:
    """How a text copy separates cells: `cells` (one per line), `pipe`, `tab`, `spaces` (runs) or `space`."""
    body = [line for line in lines if line.strip()][:2000]
    if not body:
        return "space"
    markers = sum(bool(_MARKER.match(line)) for line in body)
    cell_lines = sum(bool(_CELL_LINE.match(line)) for line in body)
    if markers >= 3 and (markers + cell_lines) >= 0.5 * len(body) and cell_lines >= markers * 0.5:
        return "cells"
    if cell_lines >= 5 and cell_lines >= 0.6 * len(body):  # one cell per line, no empty cell and no row marker
        return "cells"
    enough = min(3, max(2, len(body) // 2))
    piped = sum(line.count("|") >= 2 and any(ch not in "| \t" for ch in line) for line in body)
    if piped >= enough and piped >= 0.3 * len(body):
        return "pipe"
    tabbed = sum("\t" in line.strip() for line in body)
    if tabbed >= enough and tabbed >= 0.3 * len(body):
        return "tab"
    wide = sum(bool(_WIDE_GAP.search(line)) for line in body)
    narrow = sum(bool(_NARROW_GAP.search(line)) and not _WIDE_GAP.search(line) for line in body)
    return "spaces" if wide >= 3 and wide >= 2 * narrow else "space"


def text_sheet(text: str, name: str = "") -> Sheet:
    """A text copy of a table as rows of cells, split the way the text is delimited."""
    lines = text.splitlines()
    mode = text_delimiter(lines)
    rows = _cell_per_line_rows(lines) if mode == "cells" else [_split_line(n, line, mode) for n, line in enumerate(lines, start=1)]
    return Sheet(name, rows, positional=False, delimiter=mode, lines=lines)


def _split_line(number: int, line: str, mode: str) -> Row:
    budget().add_rows()
    raw = line.rstrip("\r\n")
    if mode == "pipe" and "|" in raw:
        parts = raw.split("|")
        if parts and not parts[0].strip():
            parts = parts[1:]
        cells = [p.strip() for p in parts]
        while cells and not cells[-1]:
            cells.pop()
        return Row(number, cells, True, raw.strip())
    if mode == "tab":
        cells = [c.strip() for c in raw.split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        return Row(number, cells, True, raw.strip())
    if mode == "spaces":
        cells = [c.strip() for c in re.split(r" {2,}|\t|\u3000+", raw.strip())]
        return Row(number, [c for c in cells if c], True, raw.strip())
    spans = [(t.start(), t.end()) for t in _TOKEN.finditer(raw)]
    # A number OCR split at its decimal point (`366,837. 47`) is one token, space and all.
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _SPLIT_NUMBER.search(raw[merged[-1][0] : merged[-1][1]]) and raw[start:end].isdigit():
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    cells = [raw[a:b] for a, b in merged]
    seps = [raw[merged[i][1] : merged[i + 1][0]] for i in range(len(merged) - 1)]
    return Row(number, cells, len(cells) <= 1, raw.strip(), seps=seps)


def _cell_per_line_rows(lines: list[str]) -> list[Row]:
    """Rows of a copy that prints one cell per line (`text |`), rows framed by lines of pipes.

    Each row opens with a `|` line and closes with a line of pipes; a `|` line inside a row is an
    empty cell. So in a run of pipe lines between two cells, the last opens the next row, the one
    before closes this row, and any before that are empty cells. Lines without a pipe (title,
    footer) are rows of their own.
    """
    rows: list[Row] = []
    cells: list[tuple[int, str]] = []  # (line, text) of the row being read
    opened = 0  # line that opened the row being read; 0 when no row is open

    def close(end_line: int) -> None:
        nonlocal cells, opened
        texts = [c for _, c in cells]
        while texts and not texts[-1]:
            texts.pop()
        content = [ln for ln, c in cells if c]
        start = opened or (cells[0][0] if cells else end_line)
        # The quote: the row's cell lines as printed (the frame of pipe-only lines left out).
        text = "\n".join(lines[n - 1].strip() for n in content)
        rows.append(Row(content[0] if content else start, texts, True, text, end_line=end_line,
                        cell_lines=[ln for ln, _ in cells[: len(texts)]]))
        cells, opened = [], 0

    i, n = 0, len(lines)
    while i < n:
        budget().add_rows()
        line, number = lines[i], i + 1
        if _MARKER.match(line):
            j = i
            while j < n and _MARKER.match(lines[j]):
                j += 1
            run = list(range(i + 1, j + 1))  # line numbers of the pipe-only lines
            in_row = bool(opened or cells)
            if j < n and _CELL_LINE.match(lines[j]):
                if in_row and len(run) == 1 and lines[i].count("|") > 1:
                    # `|||||` alone between two cells: some copies close a row with one such line
                    # and open the next without a `|` line of its own.
                    close(run[0])
                elif in_row and len(run) == 1:
                    cells.append((run[0], ""))
                else:
                    if in_row:
                        cells.extend((k, "") for k in run[:-2])
                        close(run[-2])
                    opened = run[-1]
            elif in_row:
                cells.extend((k, "") for k in run[:-1])
                close(run[-1])
            i = j
            continue
        if _CELL_LINE.match(line):
            if not opened and not cells:
                opened = number
            cells.append((number, line[: line.index("|")].strip()))
            if _CELL_LINE.closes(line):
                close(number)
        else:
            if opened or cells:
                close(number - 1)
            rows.append(Row(number, [line.strip()] if line.strip() else [], True, line.strip()))
        i += 1
    if opened or cells:
        close(n)
    rows.sort(key=lambda r: r.line)
    return _unique_lines(rows)


def _unique_lines(rows: list[Row]) -> list[Row]:
    """Rows keep distinct line numbers (an empty row framed by pipes takes its opening line)."""
    seen: set[int] = set()
    out: list[Row] = []
    for row in rows:
        while row.line in seen:
            row.line += 1
        seen.add(row.line)
        out.append(row)
    return out
