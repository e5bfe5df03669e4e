"""Put a row's cells into the header's columns by what each cell holds.

A grid copied from a web page loses its merged cells: a continuation row starts at 一级指标, or at
三级指标, and text split at single spaces may cut one cell into several tokens. Each column has a
type (a category word, an operator, a number, a unit, an amount, free text), so the row is placed
by dynamic programming: tokens in order, each to one column (free-text columns may take several
tokens of an inexact row), maximising how well every token fits its column. Columns missing at
the left cost nothing (that is what a rowspan leaves); a column skipped in the middle costs a little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.headers import AMOUNT_ROLES
from ingest.indicators import category_score
from ingest.normalize import clean
from ingest.table import Row
from ingest.taxonomy import LEVEL1, LEVEL2, UNIT_SUFFIXES
from ingest.units import AMOUNT_PLACEHOLDERS, DIRECTIONS, NATURES, is_money, is_number, is_unit_text, number_text, operator_of

NEG = -1e9
SKIP_MIDDLE = 0.05  # a column skipped between two filled ones (an empty cell)
SKIP_VALUE = 0.5  # … unless it is the value: an indicator row without its value is unlikely
JOIN = 0.02  # per extra token joined into one free-text cell (a name cut at its spaces)
JOIN_VALUE = 0.15  # … into a value or amount: those rarely contain spaces
JUNK = -1.0  # a token no column takes
SAMPLE = 200
MAX_TOKENS = 40  # a row split into more tokens than this has its middle joined first (bounded work)
MAX_JOIN = MAX_TOKENS
TEXT_ROLES = frozenset({"indicator", "goal", "period_goal", "project", "unit_name", "note", "standard", "deviation",
                        "value", "period_value", "annual_value", "actual_value"})
VALUE_ROLES = frozenset({"value", "period_value", "annual_value", "actual_value", *AMOUNT_ROLES})
JOINABLE = TEXT_ROLES | VALUE_ROLES
_CODE_PREFIX = re.compile(r"^[\[(]?\d{2,}[\])]?[-_.]?\s*\S")
# A value: starts with a comparison or a digit, or compares with a number (`走访企业数≥6家`), or is a percentage.
# A name may carry a placeholder (`开发数量(≥**个)`): no digit follows its sign.
_VALUEISH = re.compile(r"^[≥≤=<>≧≦]|[≥≤=<>≧≦]\s*\d|^\d|\d\s*%|%$|\d\s*[\u4e00-\u9fff]{1,3}$")
_DANGLING = re.compile(r"[≥≤=<>≧≦]$")
_UNIT_SYMBOL = re.compile(r"[%‰℃°]+")
_VALUE_START = re.compile(r"[≥≤=<>≧≦]|\d")
_OPEN = "(（[【"
_CLOSE = ")）]】"


@lru_cache(maxsize=65536)
def category_fit(text: str) -> tuple[float, float]:
    """(how well the text reads as a 一级 category, as a 二级 category), 0-100."""
    norm = clean(text)
    if not norm or len(norm) > 24 or not ("指标" in norm or "效益" in norm or "满意" in norm or "影响" in norm or norm[:1].isdigit()):
        return 0.0, 0.0
    return max(category_score(norm, c) for c in LEVEL1), max(category_score(norm, c) for c in LEVEL2)


def is_category(text: str) -> bool:
    return max(category_fit(text)) >= 75


def balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def looks_like_org(text: str) -> bool:
    norm = clean(text)
    return bool(_CODE_PREFIX.match(norm)) or norm.endswith(UNIT_SUFFIXES)


def cell_score(role: str | None, text: str) -> float:
    """How well a cell's text fits a column of this role (NEG: it cannot be there).

    Judged on the text's ends when it is long: what a cell holds shows in its first and last words
    (and a long text is not kept in the cache)."""
    return _cell_score(role, text if len(text) <= 2 * SAMPLE else text[:SAMPLE] + text[-SAMPLE:])


@lru_cache(maxsize=65536)
def _cell_score(role: str | None, text: str) -> float:
    norm = clean(text)
    if not norm:
        return 0.0
    l1, l2 = category_fit(norm)
    category = max(l1, l2) >= 75
    number = is_number(norm)
    operator = bool(operator_of(norm))
    direction = norm in DIRECTIONS or norm in NATURES
    valueish = bool(_VALUEISH.search(norm))
    penalty = 0.0 if balanced(norm) else -0.4
    if _DANGLING.search(norm) and not operator:
        penalty -= 0.5  # a name does not end in a comparison sign: the sign begins the value (`>= 2公里`)
    if role is None:
        return NEG
    if role == "level1":
        return 1.0 if l1 >= 100 else (0.6 if l1 >= 75 else NEG)
    if role == "level2":
        return 1.0 if l2 >= 100 else (0.6 if l2 >= 75 else NEG)
    if role == "qualifier":
        return 1.0 if (operator or direction) else NEG
    if role == "unit":
        if is_unit_text(norm) and not category:
            return 0.8
        return 0.1 if number else NEG
    if role in ("weight", "score"):
        if number:
            value = float(number_text(norm))
            return 0.9 if 0 <= value <= 100 else 0.2
        return 0.6 if re.fullmatch(r"\d+(\.\d+)?(分|%)", norm) else NEG
    placeholder = norm in AMOUNT_PLACEHOLDERS
    if role in AMOUNT_ROLES:
        if is_money(norm) or placeholder:
            return 1.0 if not placeholder else 0.6
        if re.search(r"\d", norm) and not operator:
            return 0.3
        # An unreadable amount (`待定`, `见附件`) still sits in its column: the reader warns about it.
        return 0.05 if len(norm) <= 12 and not category else NEG
    if category and not norm.endswith(("指标", "指际", "指杯", "标")):
        # A satisfaction indicator is often named like its category (`服务对象满意度`, `群众满意度`).
        if role == "indicator":
            return 0.4 + penalty
        category = False
    if category:
        return 0.02 if role in ("indicator", "note", "standard", "deviation") else NEG
    if role in ("value", "period_value", "annual_value", "actual_value"):
        if operator or direction or "**" in norm:
            return 0.05  # a bare sign, or a template placeholder (`≥**个`): not a value
        if _UNIT_SYMBOL.fullmatch(norm):
            return 0.2  # `%` alone is a 度量单位 cell: a value has its number or its words
        base = 0.9 if valueish else 0.35
        return base + penalty
    if role == "indicator":
        if operator:
            return NEG  # a sign alone begins a value (`≥ 90%`): it is never a name
        if number or direction:
            return 0.05
        if _VALUE_START.match(norm):
            return 0.1 + penalty  # `≥10%`, `≥**个`: how a value (or a placeholder) begins, not a name
        return 0.5 + penalty
    if role in ("goal", "period_goal"):
        if number or operator:
            return NEG
        return (0.6 if len(norm) >= 8 else 0.3) + penalty
    if role == "project":
        if number or operator or placeholder or is_money(norm):
            return NEG
        return (0.35 if looks_like_org(norm) else 0.5) + penalty
    if role == "unit_name":
        if number or operator:
            return NEG
        return (0.7 if looks_like_org(norm) else 0.2) + penalty
    if role in ("note", "standard", "deviation"):
        return (0.1 if number else 0.25) + penalty
    if role in ("serial",):
        return 0.3 if number else NEG
    return 0.1


def _squeezed(row: Row) -> Row:
    """A very long space-split row with its middle tokens joined into one (the long text they are)."""
    keep = MAX_TOKENS // 3
    middle = row.join(keep, len(row.cells) - keep)
    cells = [*row.cells[:keep], middle, *row.cells[-keep:]]
    seps = [*row.seps[:keep], row.seps[len(row.cells) - keep - 1], *row.seps[-(keep - 1):]] if row.seps else []
    return Row(row.line, cells, False, row.text, row.merged, seps, row.end_line)


@dataclass(frozen=True)
class Column:
    """A column of the header: where it is, and the field it holds."""

    index: int
    role: str | None  # None: a column we do not read (serial numbers, group labels)


def positional(row: Row, columns: list[Column]) -> dict[int, str] | None:
    """Cells by column position (column index in `columns` → text), or None when a cell does not fit its column."""
    out: dict[int, str] = {}
    by_index = {c.index: n for n, c in enumerate(columns)}
    for i, cell in enumerate(row.cells):
        if not cell.strip():
            continue
        n = by_index.get(i)
        if n is None:
            if i in row.merged:
                continue
            return None
        role = columns[n].role
        # A category column holding something else is the sign of a shifted row; other cells
        # (an unreadable amount, an odd qualifier) stay in their column and are warned about later.
        if role in ("level1", "level2") and cell_score(role, cell) <= 0:
            return None
        if role in ("unit", "weight", "score") and cell_score(role, cell) <= NEG / 2 and is_category(cell):
            return None
        out[n] = cell
    return out


def shifted(row: Row, columns: list[Column]) -> dict[int, str] | None:
    """Cells of a web copy's row (empty cells kept) placed at the offset that fits best, or None.

    A copy drops the cells a rowspan covers, which are leading cells, and often the trailing empty
    ones: the cells left keep their order and their gaps, so the row sits somewhere along the
    header. Each offset is scored by how well every cell fits its column."""
    cells = row.cells
    best: tuple[float, int] | None = None
    for offset in range(0, len(columns) - len(cells) + 1):
        score = 0.0
        for i, cell in enumerate(cells):
            if not cell.strip():
                continue
            fit = cell_score(columns[offset + i].role, cell)
            if fit <= NEG / 2:
                score = NEG
                break
            score += fit
        if score > NEG / 2 and (best is None or score > best[0]):
            best = (score, offset)
    if best is None:
        return None
    offset = best[1]
    return {offset + i: cell for i, cell in enumerate(cells) if cell.strip()}


def aligned(row: Row, roles: list[str | None]) -> tuple[dict[int, str], list[str]]:
    """Cells placed by content: (column position in `roles` → text, tokens no column took)."""
    if not row.exact and len(row.cells) > MAX_TOKENS:
        row = _squeezed(row)
    tokens = row.cells if not row.exact else row.filled
    n, m = len(tokens), len(roles)
    if n == 0:
        return {}, []
    # best[i][j]: best score with i tokens placed, using columns before j; back pointers to rebuild.
    best = [[NEG] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0] = [0.0] * (m + 1)  # leading columns skipped free: a rowspan left them out
    for j in range(m + 1):
        back[0][j] = (0, j - 1, "skip") if j else None
    exact = row.exact
    for i in range(n + 1):
        for j in range(m + 1):
            here = best[i][j]
            if here <= NEG / 2:
                continue
            if j < m and i > 0:  # skip column j in the middle of the row
                score = here - (SKIP_VALUE if roles[j] in ("value", "annual_value", "indicator") else SKIP_MIDDLE)
                if score > best[i][j + 1]:
                    best[i][j + 1] = score
                    back[i][j + 1] = (i, j, "skip")
            if i < n:
                # token i belongs to no column
                score = here + JUNK
                if score > best[i + 1][j]:
                    best[i + 1][j] = score
                    back[i + 1][j] = (i, j, "junk")
            if i < n and j < m:
                role = roles[j]
                widest = 1 if exact or role not in JOINABLE else min(MAX_JOIN, n - i)
                cost = JOIN_VALUE if role in VALUE_ROLES else JOIN
                for k in range(1, widest + 1):
                    text = tokens[i] if k == 1 else row.join(i, i + k)
                    fit = cell_score(role, text)
                    if fit <= NEG / 2:
                        if k == 1 and role not in AMOUNT_ROLES:
                            break
                        continue
                    score = here + fit - cost * (k - 1)
                    if score > best[i + k][j + 1]:
                        best[i + k][j + 1] = score
                        back[i + k][j + 1] = (i, j, "take")
    # trailing columns are free: the best end over all j
    end_j = max(range(m + 1), key=lambda j: (best[n][j], -j))
    out: dict[int, str] = {}
    junk: list[str] = []
    i, j = n, end_j
    while i > 0 or j > 0:
        step = back[i][j]
        if step is None:
            break
        pi, pj, kind = step
        if kind == "take":
            out[pj] = tokens[pi] if pi + 1 == i else row.join(pi, i)
        elif kind == "junk":
            junk.append(tokens[pi])
        i, j = pi, pj
    return out, list(reversed(junk))
