"""A whole form run together on one line, with no separator at all (an aggregator's copy of a 自评表):

    …项目名称中江县…安装项目负责人及电话…年度资金总额:202010100.00%10其中:本年财政拨款2020…
    绩效指标一级指标二级指标三级指标分值年度指标值全年实际值得分未完成原因及拟采取的改进措施
    产出指标(70分)数量指标安装坡面水标尺10≥266米≥266米10水标尺宽度10≥50厘米≥50厘米10质量指标…总分100100注:…

The grid's header is a run of column titles inside the line. The text after it is cut into rows by a
dynamic programme over its characters: a row is its categories (the framework's names, a score note
such as `(70分)` after a 一级), its name, and its figures, which fill the header's value columns in
order (a weight or score is a number up to 100, a value a number with its sign and unit, or a known
phrase). Figures run together are ambiguous (`20100%100%20`); what decides is what a 自评表 repeats:
the target and the achieved value, the weight and the score. The cut is kept only when every row
holds all its figures and at least one of those checks; else the line is left as it is and the file
is rejected with an error saying its cells ran together. The rows are marked `guessed` (one warning
names them). The text before the header is the form's header block: its labels are split as usual
(ingest.keyvalue), and a row of budget figures run together (`202010100.00%10` under
`全年预算数 全年执行数 分值 执行率 得分`) is cut the same way, checked by its 执行率.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.headers import COLUMN_WORDS, TOTAL_WORDS, column_role
from ingest.limits import budget
from ingest.normalize import clean
from ingest.table import Row
from ingest.taxonomy import LEVEL1, LEVEL2
from ingest.taxonomy import variants as category_variants
from ingest.units import COMMON_UNITS, VALUE_PHRASES

MIN_LINE = 200  # a line shorter than this is an ordinary row
MAX_DATA = 3000  # characters of run-together rows cut at most (bounded work)
MAX_NAME = 60
MAX_FIGURES = 40  # characters of one row's figures
MIN_HEADER = 3
_FIGURE_ROLES = ("weight", "score", "value", "annual_value", "period_value", "actual_value")
_TEXT_ROLES = ("deviation", "note", "standard")
_SINGLE_UNITS = "个人米次元户亩座台天日月年所处家项条篇期场辆吨本册套件份名棵株头只批张块间栋秒分时周期起例"
_UNITS = tuple(sorted(COMMON_UNITS | {"厘米", "千克", "公斤", "万人次", "人次", "平方公里", "万亩", "万册", "课时"},
                      key=len, reverse=True))
_OP = r"(?:>=|<=|[≥≤=<>])"
_NUM = r"(?:0|[1-9]\d*)(?:\.\d+)?"
_SCORE = re.compile(r"(?:0|[1-9]\d{0,2})(?:\.\d+)?")
_STOPS = ("……", "…", "...", "注:", "说明:", *TOTAL_WORDS)
_ROW_STOPS = ("说明",)  # the form's 说明 row (`说明无`): ends the grid where a row would start
# What a 自评表 prints as achieved when it is no figure (`100%无没有轮换…`: target 100%, achieved 无, then the reason).
_ACHIEVED_WORDS = ("未完成", "已完成", "未达标", "已达标", "未达到", "完成", "达标", "无", "否", "是")
MAX_PHRASE = 8  # a qualitative value repeated as achieved (`高高`, `显著提升显著提升`)
MAX_REASON = 40
_SCORE_NOTE = re.compile(r"[(]\d+(?:\.\d+)?分[)]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_GROUP = frozenset({None, "indicators", "goal"})
EMPTY = -1.5  # a figure column left empty
REPEAT = 1.0  # the target and the achieved value agree
FULL_MARKS = 0.5  # the weight and the score agree
DIGIT_NAME = -1.0  # a name starting with a digit (the figures before it were cut short)
REASON = -0.3  # a 偏差原因 text after the figures (read only where a category or the end follows it)
PAGE_LABEL = -0.1  # a group label a new page repeats (`绩效指标`) skipped at a row's start
ROW = 1.0
CATEGORY_ROW = -0.2  # a row of categories only: taken when nothing follows them (an empty category)
RATE_TOLERANCE = 0.05
SCORE_TOLERANCE = 0.5  # points between a printed 得分 and 分值 × 执行率  # percentage points between a printed 执行率 and 执行数 / 预算数


@lru_cache(maxsize=1)
def _title_words() -> tuple[str, ...]:
    words = {w for ws in COLUMN_WORDS.values() for w in ws}
    return tuple(sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _categories() -> tuple[tuple[str, str], ...]:
    """(spelling, level) of every framework category name ending in 指标, longest first."""
    out = {(v, "level1") for c in LEVEL1 for v in category_variants(c) if v.endswith("指标")}
    out |= {(v, "level2") for c in LEVEL2 for v in category_variants(c) if v.endswith("指标")}
    return tuple(sorted(out, key=lambda t: -len(t[0])))


def _titles_at(text: str, i: int) -> list[str]:
    words = _title_words()
    out: list[str] = []
    while i < len(text):
        word = next((w for w in words if text.startswith(w, i)), "")
        if not word:
            break
        out.append(word)
        i += len(word)
    return out


def find_header(text: str) -> tuple[int, int, list[str]] | None:
    """(start, end, titles) of the first run of column titles inside a line that reads as an indicator grid's header."""
    i = 0
    while i < len(text):
        titles = _titles_at(text, i)
        roles = [column_role(t) for t in titles]
        lead = 0
        while lead < len(roles) - 1 and roles[lead] in _GROUP:
            lead += 1
        data = roles[lead:]
        got = set(data) - {None}
        if len(data) >= MIN_HEADER and "indicator" in got and ({"level1", "level2"} & got):
            start = i + sum(len(t) for t in titles[:lead])
            return start, i + sum(len(t) for t in titles), titles[lead:]
        i += max(1, sum(len(t) for t in titles))
    return None


# --- figures ------------------------------------------------------------------------------------


def _repeated(text: str, i: int) -> list[int]:
    """Ends of a phrase at i that the text repeats right after it (`高高`: the target and the achieved)."""
    out: list[int] = []
    for n in range(1, MAX_PHRASE + 1):
        phrase = text[i : i + n]
        if len(phrase) < n or not all(_HAN.match(ch) for ch in phrase):
            break
        if text.startswith(phrase, i + n):
            out.append(i + n)
    return out


def _value_ends(text: str, i: int, achieved: bool = False) -> list[int]:
    """Where a value starting at i can end: a number with its sign and unit, a known phrase, a phrase
    repeated as the achieved value, or (achieved) a word such as 无 / 完成."""
    out: list[int] = []
    for phrase in VALUE_PHRASES:
        if text.startswith(phrase, i):
            out.append(i + len(phrase))
    out += _repeated(text, i)
    if achieved:
        out += [i + len(w) for w in _ACHIEVED_WORDS if text.startswith(w, i)]
    m = re.compile(_OP + "?" + _NUM).match(text, i)
    if m:
        end = m.end()
        out.append(end)
        rest = text[end:]
        if rest.startswith(("%", "‰")):
            out.append(end + 1)
        for unit in _UNITS:
            if rest.startswith(unit):
                out.append(end + len(unit))
        if rest[:1] and rest[0] in _SINGLE_UNITS:
            out.append(end + 1)
    return sorted(set(out))


def _number_ends(text: str, i: int) -> list[int]:
    out: list[int] = []
    for j in range(i + 1, min(len(text), i + 7) + 1):
        if _SCORE.fullmatch(text, i, j) and float(text[i:j]) <= 100:
            out.append(j)
    return out


def figures(text: str, roles: tuple[str, ...]) -> tuple[float, list[str], int] | None:
    """The best reading of a run of figures as the cells of these columns: (score, cells, how many
    readings there were), or None."""
    return _figures(text, roles)


@lru_cache(maxsize=4096)
def _figures(text: str, roles: tuple[str, ...]) -> tuple[float, list[str], int] | None:
    best: tuple[float, list[str], int] | None = None
    count = 0

    def walk(i: int, k: int, cells: list[str], score: float) -> None:
        nonlocal best, count
        if k == len(roles):
            if i == len(text):
                count += 1
                total = score + _checks(dict(zip(roles, cells, strict=True)))
                if best is None or total > best[0]:
                    best = (total, list(cells), 0)
            return
        role = roles[k]
        if role in ("actual_value", "score") and i == len(text):  # not evaluated yet: nothing printed
            walk(i, k + 1, [*cells, ""], score + EMPTY)
            return
        ends = _number_ends(text, i) if role in ("weight", "score") else _value_ends(text, i, role == "actual_value")
        target = next((c for r, c in zip(roles, cells, strict=False) if r in ("annual_value", "value", "period_value")), "")
        if role == "actual_value" and target and text.startswith(target, i):
            ends.append(i + len(target))  # achieved as targeted, printed again (`高高`)
        for j in sorted(set(ends)):
            walk(j, k + 1, [*cells, text[i:j]], score)

    walk(0, 0, [], 0.0)
    return None if best is None else (best[0], best[1], count)


def _checks(cells: dict[str, str]) -> float:
    bonus = 0.0
    target = cells.get("annual_value") or cells.get("value") or cells.get("period_value")
    actual = cells.get("actual_value")
    if target and actual and clean(target) == clean(actual):
        bonus += REPEAT
    if cells.get("weight") and cells.get("score") and float(cells["weight"]) == float(cells["score"]):
        bonus += FULL_MARKS
    return bonus


# --- rows ---------------------------------------------------------------------------------------


def _category_at(text: str, i: int) -> tuple[str, frozenset[str], int, bool] | None:
    """(the category word at i, the levels it can be, where it ends, whether a score note `(70分)` follows)."""
    word = next((w for w, _ in _categories() if text.startswith(w, i)), "")
    if not word:
        return None
    levels = frozenset(level for w, level in _categories() if w == word)
    end = i + len(word)
    noted = (m := _SCORE_NOTE.match(text, end)) is not None
    return word, levels, (m.end() if m else end), noted


def _stop_at(text: str, i: int) -> bool:
    return i >= len(text) or text.startswith(_STOPS, i)


def _name_ends(text: str, i: int) -> list[int]:
    """Where a name starting at i can end: before a digit, a sign, a known phrase or a repeated one (its figures)."""
    out: list[int] = []
    han = 0
    for j in range(i, min(len(text), i + MAX_NAME)):
        ch = text[j]
        if j > i and (text.startswith(_STOPS, j) or _category_at(text, j) or _page_label(text, j)):
            break  # a name runs through no category word, label or stop
        figures_start = ch.isdigit() or ch in "≥≤=<>" or text.startswith(VALUE_PHRASES, j) or _repeated(text, j)
        if j > i and han >= 2 and figures_start and not text[j - 1].isdigit():  # never inside a number
            out.append(j)
        han += bool(_HAN.match(ch))
    return out


def cut_rows(data: str, roles: list[str | None]) -> list[tuple[int, int, dict[str, str]]] | None:
    """Rows of run-together cells, (start, end, cells by column role) each, or None when the text does not
    cut with every row checked."""
    if len(data) > MAX_DATA or "indicator" not in roles:
        return None
    after = roles[roles.index("indicator") + 1 :]
    tail = list(after)
    while tail and tail[-1] in _TEXT_ROLES:  # a trailing 偏差原因 column: empty in such a copy (nothing tells it apart)
        tail.pop()
    if not tail or any(r not in _FIGURE_ROLES for r in tail):
        return None
    value_roles = tuple(r for r in tail if r)
    reason_role = "deviation" if "deviation" in after[len(tail):] else ""
    n = len(data)
    best: list[float | None] = [None] * (n + 1)
    back: list[tuple[int, dict[str, str]] | None] = [None] * (n + 1)
    best[0] = 0.0
    end = None
    for p in range(n + 1):
        budget().tick()
        here = best[p]
        if here is None:
            continue
        if _stop_at(data, p) or data.startswith(_ROW_STOPS, p):
            if end is None or here > (best[end] or 0.0):
                end = p
            if p < n:
                continue
            break
        label = _page_label(data, p)
        if label:  # `绩效指标` repeated where a new page starts
            _offer(best, back, p + len(label), here + PAGE_LABEL, p, {})
        # categories at the row's start
        first = _category_at(data, p)
        starts: list[tuple[int, dict[str, str]]] = [(p, {})] if first is None else []  # no name starts with a category
        if first is not None:
            word, levels, q, noted = first
            second = _category_at(data, q)
            if second is not None and "level1" in levels and "level2" in second[1]:
                starts.append((second[2], {"level1": word, "level2": second[0]}))
            # One word alone: the 二级 when it can be one (`成本指标` under 产出指标 continues the 一级 above,
            # as a rowspan does), unless a score note marks it a 一级 (`效益指标(20分)`).
            alone = "level2" if "level2" in levels and not noted else "level1"
            starts.append((q, {alone: word}))
        for q, cats in starts:
            if cats and q > p:  # a row of categories only (an empty category of the template)
                _offer(best, back, q, here + CATEGORY_ROW, p, cats)
            if _category_at(data, q) is not None:
                continue  # a name never starts with a category word: that is the next category
            for j in _name_ends(data, q):
                name = data[q:j]
                name_score = ROW + (DIGIT_NAME if name[0].isdigit() else 0.0)
                for k in range(j + 1, min(n, j + MAX_FIGURES) + 1):
                    if k < n and not _stop_at(data, k) and data[k] in "≥≤=<>.%":
                        continue  # the next row starts with a name or a category, not inside a figure
                    read = figures(data[j:k], value_roles)
                    if read is None:
                        continue
                    score, values, readings = read
                    cells = {**cats, "indicator": name, **dict(zip(value_roles, values, strict=True))}
                    if readings > 1:
                        cells[_AMBIGUOUS] = "1"
                    _offer(best, back, k, here + name_score + score, p, cells)
                    if reason_role:
                        for m in _reason_ends(data, k):
                            _offer(best, back, m, here + name_score + score + REASON, p, {**cells, reason_role: data[k:m]})
    if end is None or end == 0:
        return None
    rows: list[tuple[int, int, dict[str, str]]] = []
    at = end
    while at > 0:
        step = back[at]
        if step is None:
            return None
        prev, cells = step
        rows.append((prev, at, cells))
        at = prev
    rows.reverse()
    indicators = [r for _, _, r in rows if "indicator" in r]
    if not indicators or not _trusted([{k: r.get(k, "") for k in value_roles} for r in indicators],
                                      [_AMBIGUOUS in r for r in indicators]):
        return None
    for _, _, r in rows:
        r.pop(_AMBIGUOUS, None)
    return rows


def _trusted(rows: list[dict[str, str]], ambiguous: list[bool]) -> bool:
    """Every row holds all its figures; every row that no check confirms reads only one way; and most
    rows are confirmed (the target repeated as achieved, the weight as the score)."""
    if not all(all(r.values()) for r in rows):
        return False
    checked = [_checks(r) > 0 for r in rows]
    if any(not c and a for c, a in zip(checked, ambiguous, strict=True)):
        return False
    return sum(checked) * 2 >= len(rows)


_AMBIGUOUS = "_ambiguous"


def _page_label(text: str, i: int) -> str:
    """A group title (`绩效指标`) at i that no category follows… as a new page repeats it; or ""."""
    from ingest.headers import COLUMN_WORDS

    return next((w for w in COLUMN_WORDS["indicators"] if text.startswith(w, i)), "")


def _reason_ends(text: str, i: int) -> list[int]:
    """Where a 偏差原因 text starting at i can end: before a category word, a page label or the end
    (never before a name: a name and its figures would read as a reason)."""
    out: list[int] = []
    if _category_at(text, i) or _page_label(text, i):
        return out
    for m in range(i + 1, min(len(text), i + MAX_REASON) + 1):
        if text[m - 1].isdigit() or text.startswith(_STOPS, m - 1):
            break
        follows = m == len(text) or _stop_at(text, m) or text.startswith(_ROW_STOPS, m)
        if follows or _category_at(text, m) or _page_label(text, m):
            if m >= i + 2:
                out.append(m)
            if not follows:
                break  # a reason runs through no category word: the next row starts there
    return out


def _offer(best: list[float | None], back: list, at: int, score: float, prev: int, cells: dict[str, str]) -> None:
    if best[at] is None or score > best[at]:  # type: ignore[operator]
        best[at] = score
        back[at] = (prev, cells)


# --- budget figures in the header block --------------------------------------------------------

_BUDGET_TITLES: tuple[tuple[str, str], ...] = (
    ("全年预算数", "money"), ("年初预算数", "money"), ("调整后预算数", "money"), ("全年执行数", "money"),
    ("预算执行数", "money"), ("执行数", "money"), ("预算数", "money"), ("分值", "score"), ("权重", "score"),
    ("执行率", "rate"), ("得分", "score"),
)
_TITLE_MARK = re.compile(r"[(][A-Z/]{1,5}[)]")
_FIGURE_RUN = re.compile(r"(?<=[\u4e00-\u9fff:])[\d.%]{3,}")


def _budget_columns(text: str) -> list[str]:
    """The types of a run of budget column titles (`全年预算数(A)全年执行数(B)分值执行率(B/A)得分`), or []."""
    for start in range(len(text)):
        kinds: list[str] = []
        i = start
        while True:
            word = next(((w, k) for w, k in _BUDGET_TITLES if text.startswith(w, i)), None)
            if word is None:
                break
            kinds.append(word[1])
            i += len(word[0])
            if (m := _TITLE_MARK.match(text, i)) is not None:
                i = m.end()
        if len(kinds) >= 3 and kinds.count("money") >= 2:
            return kinds
    return []


def spaced_budget(text: str) -> str:
    """The header block's text with rows of budget figures that ran together spaced out, when the
    block's budget titles and the figures' own 执行率 (or the first row's figures) confirm the cut."""
    kinds = _budget_columns(text)
    if not kinds:
        return text
    known: list[str] = []  # the first row's figures: a later row that repeats them is cut the same way

    def split(m: re.Match[str]) -> str:
        run = m.group(0)
        for width in range(len(kinds), 1, -1):
            cut = _budget_cut(run, kinds[:width], known)
            if cut:
                if not known:
                    known.extend(cut)
                return " ".join(cut) + " "
        return run

    return _FIGURE_RUN.sub(split, text)


def _budget_cut(run: str, kinds: list[str], known: list[str]) -> list[str] | None:
    found: list[list[str]] = []

    def walk(i: int, k: int, cells: list[str]) -> None:
        if k == len(kinds):
            if i == len(run):
                found.append(list(cells))
            return
        kind = kinds[k]
        pattern = {"money": _NUM, "score": _NUM, "rate": _NUM + "%"}[kind]
        for j in range(i + 1, len(run) + 1):
            piece = run[i:j]
            if re.fullmatch(pattern, piece) and (kind != "score" or float(piece) <= 100):
                walk(j, k + 1, [*cells, piece])

    walk(0, 0, [])
    good = [c for c in found if _budget_ok(c, kinds, known)]
    if len(good) > 1:  # `0 0.00%` fits any budget: the score the rate earns (分值 × 执行率) decides
        good = [c for c in good if _scored(c, kinds)]
    return good[0] if len(good) == 1 else None


def _scored(cells: list[str], kinds: list[str]) -> bool:
    scores = [float(c) for c, k in zip(cells, kinds, strict=True) if k == "score"]
    rate = next((float(c.rstrip("%")) for c, k in zip(cells, kinds, strict=True) if k == "rate"), None)
    return len(scores) == 2 and rate is not None and abs(scores[0] * min(rate, 100) / 100 - scores[1]) < SCORE_TOLERANCE


def _budget_ok(cells: list[str], kinds: list[str], known: list[str]) -> bool:
    money = [float(c) for c, k in zip(cells, kinds, strict=True) if k == "money"]
    rate = next((c for c, k in zip(cells, kinds, strict=True) if k == "rate"), None)
    if rate is not None and len(money) >= 2 and money[0]:
        return abs(money[1] / money[0] * 100 - float(rate.rstrip("%"))) < RATE_TOLERANCE
    if known:
        return cells == known[: len(cells)]
    return False


def split_line(row: Row, joined: bool = False) -> list[Row] | None:
    """A row holding a whole run-together form as its rows: the header block, the grid header, the
    indicator rows (guessed), what follows (总分, notes); None when the line is not one or does not cut.

    `joined`: the row's tokens are one text the copy wrapped at spaces (`一级 指标二级 指标三级指标…`)."""
    if joined:
        text = clean("".join(row.cells))
    elif len(row.filled) == 1:
        text = clean(row.filled[0])
    else:
        return None
    if len(text) < MIN_LINE:
        return None
    found = find_header(text)
    if found is None:
        return None
    start, end, titles = found
    roles = [column_role(t) for t in titles]
    data = text[end:]
    stop = next((i for i in range(len(data)) if _stop_at(data, i) and i > 0), len(data))
    cut = cut_rows(data[:stop] if stop < len(data) else data, roles)
    if cut is None:
        return None
    # Every row quotes its own part of the line (a footnote's row is a footnote; a row is not the whole form).
    line = row.line
    out: list[Row] = []
    label = _first_label(text[:start])
    if label > 0:
        out.append(Row(line, [text[:label]], True, text[:label]))
    out.append(Row(line, [spaced_budget(text[label:start])], True, text[label:start]))
    out.append(Row(line, list(titles), True, text[start:end], cell_lines=[line] * len(titles)))
    for a, b, cells in cut:
        out.append(Row(line, [cells.get(r or "", "") if r else "" for r in roles], True, data[a:b],
                       cell_lines=[line] * len(roles), guessed=True))
    rest = data[stop:].lstrip("….")
    total = next((w for w in TOTAL_WORDS if rest.startswith(w)), "")
    if total:
        note = rest.find("注:")
        piece = rest[: note if note > 0 else len(rest)]
        out.append(Row(line, [total, piece[len(total):]], True, piece))
        rest = rest[len(piece):]
    if rest:
        out.append(Row(line, [rest], True, rest))
    return out


def _first_label(text: str) -> int:
    """Where the first form label of a header block starts (the notice before it is a row of its own)."""
    from ingest.headers import KEY_WORDS

    spots = [text.find(w) for w in KEY_WORDS["project"] if w in text]
    return min(spots) if spots else 0


_CHUNK = re.compile(r"^(\d{1,2})、")


def preview_chunks(rows: list[Row], i: int) -> tuple[Row, int] | None:
    """A document site's preview cut into numbered chunks (`1、…` / `2、100%质量…` / `3、…`) that break
    its rows anywhere, starting at row i: the chunks as one row of tokens (markers dropped), and the
    index after them; None when row i opens no such run."""
    first = rows[i]
    if not first.filled or not (m := _CHUNK.match(first.filled[0])) or m.group(1) != "1":
        return None
    cells: list[str] = []
    j, number = i, 1
    while j < len(rows) and rows[j].filled and (m := _CHUNK.match(rows[j].filled[0])) and int(m.group(1)) == number:
        tokens = list(rows[j].cells)
        tokens[0] = tokens[0][m.end():]
        cells += tokens
        j += 1
        number += 1
    if number <= 2:
        return None
    text = "\n".join(r.text for r in rows[i:j])
    return Row(first.line, cells, False, text, end_line=rows[j - 1].line), j


def run_on_line(rows: list[Row]) -> int | None:
    """The line of the first row (or numbered chunks) holding a grid's header run together with the text
    around it: a whole form on one line that could not be cut safely (for the error that rejects it)."""
    i = 0
    while i < len(rows):
        chunks = preview_chunks(rows, i)
        row, nxt = chunks if chunks is not None else (rows[i], i + 1)
        text = clean("".join(row.cells))
        if len(text) >= MIN_LINE and find_header(text) is not None:
            return row.line
        i = nxt
    return None
