"""Rows of a copy that lost its row breaks, cut back into rows below the header.

Some copies of a web page keep a table's cells but not its rows:

    一级指标            (one cell per line, blank lines between: the header is a column of lines)
    二级指标
    …
    产出指标 / 数量指标 / 脱贫村村内道路硬化里程 / ≥100公里 / 脱贫户供水设施数量 / ≥20座 / 质量指标 / …

    指标 | / 指标权重 | / … / 发放人数 | / 20 | / 人数 | / ≥ | / 80 |   (one cell per line, no row markers)

    … 绩效指标 一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 偏差原因 产出指标(50分) 数量指标 …
                        (a whole form flattened onto one line of space-separated tokens)

The header survives as a run of consecutive column titles. The cells after it are a stream: they
are cut into rows by content, with one dynamic programme over the stream. Within a row cells take
columns left to right (ingest.align's column fits; leading columns missing for free, as a rowspan
leaves them); a row ends when the next cell fits no column to the right of the last one well
enough; a row is worth more when it holds an indicator's name and its value, or only categories
(a template's empty category), and less when it holds values without a name. The stream ends at a
title, a footnote, a table number or a form label (the next form of a page holding several).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.align import JOIN, JOIN_VALUE, JUNK, NEG, VALUE_ROLES, cell_score
from ingest.headers import COLUMN_EXACT, COLUMN_WORDS, column_role, is_furniture, key_role
from ingest.indicators import category_score
from ingest.limits import budget
from ingest.normalize import clean
from ingest.runon import preview_chunks, split_line
from ingest.table import Row, Sheet
from ingest.taxonomy import LEVEL1, LEVEL2
from ingest.taxonomy import variants as category_variants
from ingest.units import VALUE_PHRASES

MIN_HEADER = 3  # column titles in a run before it counts as a header
MAX_STREAM = 3000  # cells of one stream cut into rows (beyond it the copy is left as it is: bounded work)
MAX_JOIN = 6  # tokens of a space-split stream joined into one cell at most
# What a row is worth besides its cells' fits. A good row earns nothing extra (a bonus would pay for
# cutting one row in two); rows a table does not have cost.
ROW_COST = 0.3  # each row the stream is cut into
ROW_OK = 0.0  # a row with an indicator's name and its value
ROW_NAME_AND_MORE = -0.2  # a name with a weight or a qualifier but no value (`促进社会和谐 | 20 | | 定性 |`)
ROW_NAME_ONLY = -0.8
ROW_CATEGORY = 0.0  # categories only: a template's empty category
ROW_BROKEN = -2.0  # values without a name
SKIP = 0.05
SKIP_NAME_OR_VALUE = 0.5
EMPTY_JUNK = -0.3

_NAME, _VALUE, _CATEGORY, _OTHER = 1, 2, 4, 8
_VALUE_COLUMNS = frozenset({"value", "period_value", "annual_value", "actual_value"})
_PIPES = re.compile(r"\|+")
_TITLE_ENDS = ("绩效目标表", "申报表", "自评表", "审批表", "评价表")  # a title names a table (a name may say 绩效目标)
_GROUP_TITLES = frozenset({None, "indicators", "goal"})  # `绩效指标` / `年度绩效目标(90分)` over the grid's rows


def _bit(role: str | None) -> int:
    if role == "indicator":
        return _NAME
    if role in _VALUE_COLUMNS:
        return _VALUE
    if role in ("level1", "level2"):
        return _CATEGORY
    return _OTHER


def _row_end(flags: int) -> float:
    if flags & _NAME:
        return ROW_OK if flags & _VALUE else (ROW_NAME_AND_MORE if flags & _OTHER else ROW_NAME_ONLY)
    if flags == _CATEGORY:
        return ROW_CATEGORY
    return ROW_BROKEN


def ends_stream(text: str) -> bool:
    """A cell no indicator row holds: a title, a footnote, a table number, a project or department label."""
    norm = clean(text)
    if not norm:
        return False
    return (is_furniture(norm) or any(w in norm for w in _TITLE_ENDS)
            or key_role(norm) in ("project", "department"))


@dataclass
class Stream:
    """Cells in reading order: their texts, lines, and (space-split tokens) the spaces between them."""

    cells: list[str]
    lines: list[int]
    seps: list[str] | None = None  # None: each cell is whole (one per line); else tokens that may join

    def join(self, i: int, j: int) -> str:
        """Cells i..j-1 as one text (tokens with the spaces between them)."""
        if j - i == 1:
            return self.cells[i]
        return Row(0, self.cells, self.seps is None, seps=self.seps or []).join(i, j)


def cut(stream: Stream, roles: list[str | None]) -> list[dict[int, tuple[int, int]]]:
    """The stream cut into rows: per row, column → (first cell, end cell) of the text it holds."""
    n, m = len(stream.cells), len(roles)
    widest = 1 if stream.seps is None else MAX_JOIN
    # layers[i][(c, flags)]: best score with i cells read, c the last column filled in the open row
    # (-1: no row open); back pointers rebuild the rows.
    layers: list[dict[tuple[int, int], float]] = [{} for _ in range(n + 1)]
    layers[0][(-1, 0)] = 0.0
    back: dict[tuple[int, int, int], tuple[tuple[int, int, int], str, int, int]] = {}

    def offer(i: int, state: tuple[int, int], score: float, prev: tuple[int, int, int], how: str, a: int, b: int) -> None:
        if score > layers[i].get(state, NEG):
            layers[i][state] = score
            back[(i, *state)] = (prev, how, a, b)

    for i in range(n + 1):
        budget().tick()
        layer = layers[i]
        for (c, f), here in list(layer.items()):
            if c >= 0:  # close the row
                offer(i, (-1, 0), here + _row_end(f) - ROW_COST, (i, c, f), "end", 0, 0)
        if i == n:
            break
        empty = not stream.cells[i].strip()
        for (c, f), here in list(layer.items()):
            offer(i + 1, (c, f), here + (EMPTY_JUNK if empty else JUNK), (i, c, f), "junk", i, i + 1)
            skipped = 0.0
            for col in range(c + 1, m):
                role = roles[col]
                if empty:
                    if col == c + 1:  # an empty cell holds its place: the very next column
                        offer(i + 1, (col, f), here, (i, c, f), "take", i, i + 1)
                    break
                for k in range(1, min(widest, n - i) + 1):
                    if k > 1 and not stream.cells[i + k - 1].strip():
                        break
                    fit = cell_score(role, stream.join(i, i + k))
                    if fit <= NEG / 2:
                        continue
                    cost = (JOIN_VALUE if role in VALUE_ROLES else JOIN) * (k - 1)
                    offer(i + k, (col, f | _bit(role)), here - skipped + fit - cost, (i, c, f), "take", i, i + k)
                if c >= 0:  # a column skipped inside a row (leading columns are free: a rowspan left them out)
                    skipped += SKIP_NAME_OR_VALUE if role in ("indicator", *_VALUE_COLUMNS) else SKIP
    if (-1, 0) not in layers[n]:
        return []
    rows: list[dict[int, tuple[int, int]]] = []
    current: dict[int, tuple[int, int]] = {}
    state = (n, -1, 0)
    while state in back:
        prev, how, a, b = back[state]
        if how == "end":
            if current:
                rows.append(current)
            current = {}
        elif how == "take" and stream.cells[a].strip():
            current[state[1]] = (a, b)
        state = prev
    if current:
        rows.append(current)
    return [dict(sorted(r.items())) for r in reversed(rows)]


# --- finding the header in a stream ----------------------------------------------------------


def _kind_ok(roles: list[str | None]) -> bool:
    from ingest.grid import is_grid_header

    return is_grid_header({r for r in roles if r})


def _data_roles(titles: list[str]) -> tuple[int, list[str | None]]:
    """(how many leading titles are group titles, the columns' roles): `绩效指标` over the rows is no column."""
    roles = [column_role(t) for t in titles]
    lead = 0
    while lead < len(roles) - 1 and roles[lead] in _GROUP_TITLES:
        lead += 1
    return lead, roles[lead:]


def _header_run(cells: list[str]) -> tuple[int, int] | None:
    """(start, end) of the first run of consecutive column titles in a row's cells that reads as a grid header."""
    i, n = 0, len(cells)
    while i < n:
        if not cells[i].strip() or column_role(cells[i]) is None:
            i += 1
            continue
        j = i
        while j < n and cells[j].strip() and column_role(cells[j]) is not None:
            j += 1
        lead, roles = _data_roles(cells[i:j])
        if len(roles) >= MIN_HEADER and _kind_ok(roles):
            return i + lead, j
        i = j
    return None


@lru_cache(maxsize=1)
def _category_names() -> frozenset[str]:
    return frozenset(v for c in LEVEL1 + LEVEL2 for v in category_variants(c) if v.endswith("指标"))


def _wrapped(cells: list[str], lines: list[int]) -> tuple[list[str], list[int]]:
    """Cells with a category cell that wrapped over two lines (`经济效益` / `指标`) joined back."""
    names = _category_names()
    out: list[str] = []
    at: list[int] = []
    for text, line in zip(cells, lines, strict=True):
        if out and clean(text) and clean(out[-1]) + clean(text) in names and clean(text) not in names:
            out[-1] = out[-1] + text
            continue
        out.append(text)
        at.append(line)
    return out, at


# --- cells run together: `产出指标数量指标农村义务教育学校改造覆盖率100%` ------------------------------

_TAIL_VALUE = re.compile(
    r"(?:>=|<=|=>|=<|[≥≤=<>]|大于|小于|不低于|不高于|不少于|不超过|不多于)?"
    r"(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?(?:前|以前|之前|底)?|\d[\d,.]*(?:%|‰|[\u4e00-\u9fffA-Za-z/²³·]{1,4})?)$"
)


@lru_cache(maxsize=1)
def _title_words() -> tuple[str, ...]:
    words = {w for ws in COLUMN_WORDS.values() for w in ws} | set(COLUMN_EXACT)
    return tuple(sorted(words, key=len, reverse=True))


def run_together_titles(text: str) -> list[str]:
    """A header whose titles ran together (`绩效指标一级指标二级指标指标内容指标值`) split into its titles;
    [] when the text is not made of column titles only."""
    norm = clean(text)
    if not norm or len(norm) > 120:
        return []
    words = _title_words()
    out: list[str] = []
    i = 0
    while i < len(norm):
        word = next((w for w in words if norm.startswith(w, i)), "")
        if not word:
            return []
        out.append(word)
        i += len(word)
    return out if len(out) >= MIN_HEADER else []


def split_run_together(text: str, roles: list[str | None]) -> list[str]:
    """A data row whose cells ran together, split by what its ends hold: the categories it starts with
    (the framework's names), the value it ends with (a number with its sign and unit); the rest is the
    name. A value that is a phrase (`稳步提高`) cannot be told from the name: it stays in it."""
    rest = clean(text)
    cells = [""] * len(roles)
    names = sorted(_category_names(), key=len, reverse=True)
    words: list[str] = []
    while len(words) < 2 and (word := next((w for w in names if rest.startswith(w)), "")):
        words.append(word)
        rest = rest[len(word):]
    # Two category words are 一级 and 二级; one alone is the 二级 when it can be one (`成本指标` under
    # 产出指标 continues the 一级 above it, as a rowspan does), else the 一级.
    if len(words) == 1 and any(category_score(words[0], c) >= 100 for c in LEVEL2):
        words = ["", words[0]]
    for level, word in zip(("level1", "level2"), words, strict=False):
        if word and level in roles:
            cells[roles.index(level)] = word
    value_col = next((roles.index(r) for r in ("value", "annual_value", "period_value") if r in roles), None)
    if value_col is not None and (m := _TAIL_VALUE.search(rest)) and m.start() > 0:
        cells[value_col] = m.group(0)
        rest = rest[: m.start()]
    elif value_col is not None and (phrase := next((w for w in VALUE_PHRASES if rest.endswith(w) and len(rest) > len(w) + 1), "")):
        cells[value_col] = phrase
        rest = rest[: -len(phrase)]
    if "indicator" in roles:
        cells[roles.index("indicator")] = rest
    return cells


def _run_together(sheet: Sheet, rows: list[Row], i: int) -> tuple[list[Row], int] | None:
    """A header run together in one cell at row i, and the rows below it split the same way."""
    row = rows[i]
    if len(row.filled) != 1:
        return None
    titles = run_together_titles(row.filled[0])
    if not titles:
        return None
    lead, roles = _data_roles(titles)
    if len(roles) < MIN_HEADER or not _kind_ok(roles):
        return None
    out = [Row(row.line, titles[lead:], True, row.text, cell_lines=[row.line] * len(roles))]
    j = i + 1
    while j < len(rows):
        data = rows[j]
        if data.filled:
            text = _line_text(data).strip()
            if ends_stream(text) or len(data.filled) > 1:
                break
            cells = split_run_together(text, roles)
            out.append(Row(data.line, cells, True, data.text, cell_lines=[data.line] * len(roles), guessed=True))
        else:
            out.append(data)
        j += 1
    return out, j


def restream(sheet: Sheet) -> Sheet:
    """The sheet with streamed rows cut back into rows (unchanged when it has none)."""
    if sheet.positional or not sheet.rows:
        return sheet
    out: list[Row] = []
    rows = sheet.rows
    i = 0
    changed = False
    while i < len(rows):
        row = rows[i]
        chunks = preview_chunks(rows, i)  # a preview cut into numbered chunks: one text
        if chunks is not None and (whole := split_line(chunks[0], joined=True)) is not None:
            out += whole
            changed = True
            i = chunks[1]
            continue
        # A whole form run together on one line (its cells, or tokens a wrapped copy split at spaces).
        whole = split_line(row, joined=not row.exact and _header_run(row.cells) is None)
        if whole is not None:
            out += whole
            changed = True
            i += 1
            continue
        joined = _run_together(sheet, rows, i)
        if joined is not None:
            new, i = joined
            out += new
            changed = True
            continue
        vertical = _vertical_header(rows, i)
        if vertical is not None:
            end, header = vertical
            data, stop = _line_cells(rows, end)
            new = _cut_rows(sheet, header, data)
            if new is not None:
                out += new
                changed = True
                i = stop
                continue
        split = _split_row(sheet, row)
        if split is not None:
            out += split
            changed = True
        else:
            out.append(row)
        i += 1
    if not changed:
        return sheet
    return Sheet(sheet.name, _unique(out), sheet.positional, sheet.delimiter, sheet.lines)


def _unique(rows: list[Row]) -> list[Row]:
    """Rows in line order; rows cut from one line keep its number (a flattened form is one line)."""
    return sorted(rows, key=lambda r: r.line)


def _line_text(row: Row) -> str:
    return row.join(0, len(row.cells)) if not row.exact else " ".join(row.filled)


def _vertical_header(rows: list[Row], i: int) -> tuple[int, tuple[Stream, list[str | None]]] | None:
    """A header printed one title per line, starting at row i: (index after it, (its cells, roles))."""
    titles: list[str] = []
    lines: list[int] = []
    j = i
    while j < len(rows):
        row = rows[j]
        if not row.filled:
            j += 1
            continue
        text = _line_text(row).strip()
        if (row.exact and len(row.filled) > 1) or column_role(text) is None:
            break
        titles.append(text)
        lines.append(row.line)
        j += 1
    if len(titles) < MIN_HEADER:
        return None
    lead, roles = _data_roles(titles)
    if len(roles) < MIN_HEADER or not _kind_ok(roles):
        return None
    return j, (Stream(titles[lead:], lines[lead:]), roles)


def _line_cells(rows: list[Row], start: int) -> tuple[Stream, int]:
    """The cells after a vertical header: each line one cell, up to a line that ends the stream."""
    cells: list[str] = []
    lines: list[int] = []
    j = start
    while j < len(rows) and len(cells) < MAX_STREAM:
        row = rows[j]
        if row.filled:
            text = _line_text(row).strip()
            if ends_stream(text) or (row.exact and len(row.filled) > 1):
                break
            cells.append(text)
            lines.append(row.line)
        j += 1
    cells, lines = _wrapped(cells, lines)
    return Stream(cells, lines), j


def _split_row(sheet: Sheet, row: Row) -> list[Row] | None:
    """A row holding a header run with cells after it: (cells before it), the header, the rows cut from the rest."""
    cells = row.cells
    if len(cells) < 2 * MIN_HEADER:
        return None
    run = _header_run(cells)
    if run is None:
        return None
    start, end = run
    lead_start = start
    while lead_start > 0 and cells[lead_start - 1].strip() and column_role(cells[lead_start - 1]) in _GROUP_TITLES \
            and column_role(cells[lead_start - 1]) is not None:
        lead_start -= 1
    width = end - start
    stop = end
    while stop < len(cells) and not ends_stream(cells[stop]):
        stop += 1
    if stop - end < min(width, 2):
        return None  # nothing after the header in this row: an ordinary header row
    lines = row.cell_lines if len(row.cell_lines) == len(cells) else [row.line] * len(cells)
    seps = None if row.exact else (row.seps or [" "] * (len(cells) - 1))
    out: list[Row] = []
    if lead_start > 0:
        out.append(_piece(sheet, row, 0, lead_start, lines, seps))
    if start > lead_start:
        out.append(_piece(sheet, row, lead_start, start, lines, seps))
    header = Stream(cells[start:end], lines[start:end], seps[start:end] if seps is not None else None)
    data = Stream(cells[end:stop], lines[end:stop], seps[end:stop] if seps is not None else None)
    if seps is None:
        data.cells, data.lines = _wrapped(data.cells, data.lines)
    new = _cut_rows(sheet, (header, [column_role(c) for c in header.cells]), data)
    if new is None:
        return None
    out += new
    if stop < len(cells):
        out.append(_piece(sheet, row, stop, len(cells), lines, seps))
    return out


def _piece(sheet: Sheet, row: Row, a: int, b: int, lines: list[int], seps: list[str] | None) -> Row:
    """Cells a..b-1 of a row as a row of their own (verbatim text, the line of its first cell)."""
    cells = row.cells[a:b]
    at = lines[a:b]
    return Row(at[0], list(cells), row.exact, _quote(sheet, row, a, b, at), cell_lines=list(at),
               seps=(row.seps or [])[a : b - 1] if not row.exact else [])


def _quote(sheet: Sheet, row: Row, a: int, b: int, at: list[int]) -> str:
    """The verbatim text of cells a..b-1: their printed lines (one cell per line), or the tokens with their spaces."""
    if not row.exact:
        return row.join(a, b)
    if sheet.lines and len(set(at)) > 1:
        seen: list[int] = []
        for line, cell in zip(at, row.cells[a:b], strict=True):
            if cell.strip() and line not in seen:
                seen.append(line)
        return "\n".join(sheet.lines[n - 1].strip() for n in seen if 0 < n <= len(sheet.lines))
    return " ".join(c for c in row.cells[a:b] if c.strip())


def _cut_rows(sheet: Sheet, header: tuple[Stream, list[str | None]], data: Stream) -> list[Row] | None:
    """The header as a row and the data stream cut into rows of its width; None when it does not cut."""
    titles, roles = header
    if not data.cells or len(data.cells) > MAX_STREAM:
        return None
    if data.seps is not None and len(data.cells) > MAX_STREAM // 4:
        return None
    placed = cut(data, roles)
    if not placed:
        return None
    width = len(roles)
    out = [Row(titles.lines[0], list(titles.cells), True, _stream_quote(sheet, titles, 0, len(titles.cells)),
               cell_lines=list(titles.lines))]
    for row in placed:
        cells = [""] * width
        for col, (a, b) in row.items():
            cells[col] = data.join(a, b)
        first = min(a for a, _ in row.values())
        last = max(b for _, b in row.values())
        out.append(Row(data.lines[first], cells, True, _stream_quote(sheet, data, first, last),
                       cell_lines=[data.lines[row[c][0]] if c in row else data.lines[first] for c in range(width)]))
    return out


def _stream_quote(sheet: Sheet, stream: Stream, a: int, b: int) -> str:
    """What a re-cut row quotes: the lines it was printed on (blank and pipe-only lines left out), or
    its tokens with their spaces (a flattened line)."""
    at = stream.lines[a:b]
    if stream.seps is None and sheet.lines and len(set(at)) > 1:
        # Up to the line before the next row's first cell: a cell that wrapped (`经济效益` / `指标`) is quoted whole.
        last = stream.lines[b] - 1 if b < len(stream.lines) else max(at)
        printed = (line.strip() for line in sheet.lines[min(at) - 1 : min(last, len(sheet.lines))])
        return "\n".join(line for line in printed if line and not _PIPES.fullmatch(line))
    return stream.join(a, b)
