"""Stage 1 of reading a question: link what it names to the catalog.

Projects (full or shortened names, OCR variants, typos), departments (with their aliases),
years, indicator categories, indicator names and distinctive values, thresholds, ordinals,
units, and references to the conversation. Nothing here decides what is asked: that is
assistant/parse.py, which reads these links together with the cue words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from assistant import lexicon as lx
from assistant.vocabulary import ProjectKey, Vocabulary, project_key, short_name
from ingest.normalize import for_matching
from ingest.records import Indicator, Project
from ingest.taxonomy import BY_CODE, DEPARTMENT_ALIASES, LEVEL1, LEVEL2, Category, variants

_STOP = {"工作", "经费", "项目", "服务", "补贴", "资金", "单位", "管理", "专项", "政府", "组织", "指标", "建设", "经济",
         "运行", "维护", "费用"}
_YEAR = re.compile(r"(?<![\d.])(20[0-4]\d)(?:\s*(?:年|年度)|(?![\d.万元个条项名%]))")  # not "多于2000万元"
# A project-like name in the question: "城市绿化养护经费" (no 的/那/这 inside: those are descriptions).
_NAMED = re.compile(r"([^\s的那这哪些个,。?!、:;|]{2,14}?(?:工作经费|项目经费|专项资金|经费|补贴|专项))"
                    r"|([^\s的那这哪些个,。?!、:;|]{4,12}?项目)(?!经费|资金)")
_NOT_A_NAME = re.compile(r"按|从|排|各|每|所有|全部|哪|^(关于|有关|涉及|提到|提及|含|包含|带有)")
# Words before 项目 that make it a kind of project, not a name ("其余项目", "名下有什么项目", "最高预算项目").
_NOT_A_PROJECT_NAME = re.compile(r"其他|其它|其余|别的|剩下|剩余|上述|以上|上面|前面|刚才|几|多少|本|该|同类|类似|设置|设了|没有"
                                 r"|超过|低于|以下|万元|\d|有|什么|啥|名下|最|平均|金额|预算|指标|钱|[A-Za-z]|是|和|与|及|或")
# Short category names that are also everyday words ("指标数量", "工作质量"): a category only
# when followed by 指标/类/方面.
_BARE_WORDS = frozenset({"数量", "质量", "成本", "时效"})
_CATEGORY_POOL: tuple[Category, ...] = tuple(sorted(LEVEL2 + LEVEL1, key=lambda c: -max(len(v) for v in variants(c))))
_VALUE_TOKEN = re.compile(r"[≥≤<>]?\d+(?:\.\d+)?(?:%|个|次|台|名|家|人次|人|天|元|万元|项|场|份|件|处|批次|套|户)")
_ENGLISH = {k: v for k, v in lx.ENGLISH}
PROJECT_MARK = "Ⓟ"  # where a project name stood
INDICATOR_MARK = "Ⓘ"  # where an indicator name stood
_ENGLISH_LONGEST = max(len(k.split()) for k in _ENGLISH)


@dataclass
class ProjectMatch:
    """A span of the question that names projects: one name can fit several rows."""

    text: str
    projects: list[Project]
    strong: bool  # the full or short name itself, not an overlap or a fuzzy match

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(p.project for p in self.projects))


@dataclass
class Links:
    """What one question names, resolved against the catalog."""

    question: str  # as asked
    text: str  # normal form the cues are read in (simplified, English terms in Chinese)
    matches: list[ProjectMatch] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    level1: tuple[str, ...] = ()
    level2: tuple[str, ...] = ()
    mentions: list[Indicator] = field(default_factory=list)  # indicator rows named (or found by a value)
    mentioned_by_value: bool = False
    foreign: list[str] = field(default_factory=list)  # indicator names in the question that the named projects lack
    value_token: str = ""  # a value text such as "≥4次"
    outside: list[str] = field(default_factory=list)  # places the data does not cover
    missing_departments: list[str] = field(default_factory=list)  # departments named that the data lacks
    unknown_name: str = ""  # a project-like name that matched no project
    excluded: list[ProjectMatch] = field(default_factory=list)  # names left out: "除了X,其余…"
    ordinal: int | None = None
    ordinals: list[int] = field(default_factory=list)  # "第二个和第三个": every ordinal, in order
    english: bool = False

    @property
    def cue_text(self) -> str:
        """The text with project and indicator names masked: cue words inside a name do not count
        ("政府雇员指标数" is not "指标数", "办公场地项目经费" does not ask about 项目)."""
        text = self.text
        for word, same in lx.SYNONYMS:
            text = text.replace(word, same)
        for m in sorted(self.matches, key=lambda m: -len(m.text)):
            text = text.replace(m.text, PROJECT_MARK)
        if not self.mentioned_by_value:
            for name in sorted({for_matching(i.indicator) for i in self.mentions}, key=len, reverse=True):
                text = text.replace(name, INDICATOR_MARK)
        return text

    @property
    def projects(self) -> list[Project]:
        return list({p.id: p for m in self.matches for p in m.projects}.values())

    @property
    def has_category(self) -> bool:
        return bool(self.level1 or self.level2)

    def category_names(self) -> str:
        return "、".join(BY_CODE[c].name for c in (*self.level2, *self.level1))


def has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


def english_to_cues(question: str) -> tuple[str, bool]:
    """Replace the table's English terms with the Chinese words the parser reads."""
    if not re.search(r"[A-Za-z]{2,}", question):
        return question, False
    question = re.sub(r"n['’]t\b", " not", question, flags=re.IGNORECASE)  # "doesn't" → "does not"

    def swap(m: re.Match[str]) -> str:
        words = m.group(0).lower().split()
        out: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(_ENGLISH_LONGEST, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n])
                if phrase in _ENGLISH:
                    out.append(_ENGLISH[phrase])
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return "".join(out)

    return lx.ENGLISH_WORD.sub(swap, question), True


def _longest_common(a: str, b: str) -> str:
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best


@cache
def name_forms(name: str) -> tuple[str, str]:
    """(full, short) normal forms of a project name."""
    return for_matching(name), for_matching(short_name(name))


@cache
def _generic(common: str) -> bool:
    """An overlap made only of words every project name has (工作经费, 服务项目)."""
    rest = common
    for w in sorted(_STOP, key=len, reverse=True):
        rest = rest.replace(w, "")
    return len(rest) < 2 or any(common in w for w in ("满意度指标", "社会效益", "经济效益", "可持续影响"))


def _strong_match(q: str, p: Project) -> str:
    full, short = name_forms(p.project)
    if full in q:
        return full
    return short if len(short) >= 2 and short in q else ""


def _abbreviation(q: str, full: str) -> str:
    """A name said by its head and its tail ("两新补贴" for 两新组织党务工作者补贴), the head distinctive."""
    if len(full) < 6:
        return ""
    for a in (3, 2):
        head = full[:a]
        if _generic(head) or head not in q:
            continue
        for b in (4, 3, 2):
            if a + b <= len(full) - 2 and (form := head + full[-b:]) in q:
                return form
    return ""


def _weak_match(q: str, p: Project) -> str:
    """A distinctive overlap with the name (政府雇员公用经费 ← 公用经费), or a fuzzy (typo) match."""
    full, short = name_forms(p.project)
    if abbreviated := _abbreviation(q, full):
        return abbreviated
    common = _longest_common(q, full)
    if not _generic(common) and (len(common) >= 3 or (len(common) == 2 and len(short) <= 3)):
        return common
    if len(short) >= 4 and fuzz.partial_ratio(short, q) >= 86:
        return short
    return _typo(q, _core(full))


_KIND_SUFFIX = re.compile(r"(运行维护费|运行服务费|运行经费|服务费|维护费|工作经费|项目经费|专项经费|专项资金|经费|补贴|资金|费)$")


@cache
def _core(name: str) -> str:
    """办公场地运行维护费 → 办公场地: the name without the words that say what kind of money it is."""
    core = name
    while (m := _KIND_SUFFIX.search(core)) and len(core) - len(m.group(0)) >= 2:
        core = core[: m.start()]
    return core


def _typo(q: str, short: str) -> str:
    """A stretch of the question one edit (two for long names) away from the name: a character missing,
    added, wrong or two swapped ("动物疫" for 动物防疫, "劳动保监障察" for 劳动保障监察)."""
    if len(short) < 4 or _generic(short):
        return ""
    allowed = 1 if len(short) < 7 else 2
    for size in (len(short), len(short) - 1, len(short) + 1):
        for i in range(0, len(q) - size + 1):
            window = q[i : i + size]
            if window[0] == short[0] and "|" not in window and OSA.distance(window, short) <= allowed:
                return window
    return ""


def match_projects(q: str, projects: list[Project]) -> list[ProjectMatch]:
    """Spans of the question naming projects: full or short names first, each taking its span;
    weaker overlaps are then looked for in what is left ("政府雇员工资和公用经费")."""
    out: list[ProjectMatch] = []
    seen: set[str] = set()
    original = q
    for finder, strong in ((_strong_match, True), (_weak_match, False)):
        # Many departments share project names: each name is matched once.
        memo: dict[str, str] = {}
        found = [(text, p) for p in projects if p.id not in seen
                 and (text := memo[p.project] if p.project in memo else memo.setdefault(p.project, finder(q, p)))]
        if not found:
            continue
        found.sort(key=lambda t: -len(t[0]))
        taken: list[tuple[int, int]] = []
        by_text: dict[str, ProjectMatch] = {}
        for text, p in found:
            start = q.find(text)
            span = (start, start + len(text)) if start >= 0 else None
            if span and any(span[0] < e and s < span[1] and (s, e) != span for s, e in taken):
                continue
            if span and span not in taken:
                taken.append(span)
            match = by_text.get(text)
            if match is None:
                match = by_text[text] = ProjectMatch(text, [], strong)
                out.append(match)
            match.projects.append(p)
            seen.add(p.id)
        for s_, e in taken:
            q = q[:s_] + "|" * (e - s_) + q[e:]
    if any(m.strong for m in out):
        # A weak overlap next to a strong name is usually part of the question's other words.
        # A typo of a name's core ("河涌治" for 河涌整治) is a name too.
        out = [m for m in out if m.strong or len(m.text) >= 4
               or (len(m.text) == 3 and any(_typo(m.text, _core(name_forms(n)[0])) for n in m.names))]
    return [m if m.strong or len(m.names) < 2 else _closest(m, original) for m in out]


def _misspelt(name: str, candidates: list[Project]) -> ProjectMatch | None:
    """A project-like name that is a typo of exactly one indexed name ("民营济经服务经费")."""
    form = for_matching(name)
    scored = sorted(((fuzz.ratio(form, name_forms(p.project)[0]), p.project) for p in candidates), reverse=True)
    if not scored or scored[0][0] < 80:
        return None
    best = scored[0][1]
    runner_up = next((score for score, n in scored if n != best), 0.0)
    if scored[0][0] - runner_up < 5:
        return None
    return ProjectMatch(name, [p for p in candidates if p.project == best], strong=False)


def _closest(m: ProjectMatch, q: str) -> ProjectMatch:
    """A weak overlap shared by several names ("活动补贴"): the name clearly closest to the question
    (a typo of 全民健身活动补贴), or all of them when none is."""
    scored = sorted(((fuzz.partial_ratio(name_forms(n)[0], q), n) for n in m.names), reverse=True)
    if scored[0][0] - scored[1][0] >= 5:
        return ProjectMatch(m.text, [p for p in m.projects if p.project == scored[0][1]], m.strong)
    return m


def _excluded(q: str, name: str) -> bool:
    """"除了政府雇员工资经费", "信创以外的": the name is left out, not asked about."""
    at = q.find(name)
    return at >= 0 and bool(lx.EXCLUDE_BEFORE.search(q[max(0, at - 3):at]) or lx.EXCLUDE_AFTER.match(q[at + len(name):]))


def _said_as_theirs(q: str, name: str, departments: list[str]) -> bool:
    """"白云区工商联的招商经费": the name follows a named department directly (a project asked of it)."""
    at = q.find(name)
    head = q[:at] if at >= 0 else ""
    return any(re.search(re.escape(f) + r"(的|之)?(项目)?$", head) for d in departments for f in department_forms(d))


def _paired(matches: list[ProjectMatch], q: str, departments: list[str]) -> list[ProjectMatch]:
    """"A局的X和B局的Y": a name found in several of the departments named belongs to the one named nearest
    before it (or, failing that, right after it)."""
    spans: list[tuple[int, str]] = []
    for d in departments:
        at = min((i for f in department_forms(d) if (i := q.find(f)) >= 0), default=-1)
        if at >= 0:
            spans.append((at, d))
    out = []
    for m in matches:
        at = q.find(m.text)
        if at < 0 or len({p.department for p in m.projects}) < 2:
            out.append(m)
            continue
        before = [d for i, d in sorted(spans) if i < at]
        after = [d for i, d in sorted(spans) if i > at]
        owner = before[-1] if before else (after[0] if after else "")
        mine = [p for p in m.projects if p.department == owner]
        out.append(ProjectMatch(m.text, mine, m.strong) if mine else m)
    return out


def together(matches: list[ProjectMatch]) -> list[ProjectMatch]:
    """Several names that each fit rows of several documents: keep the documents holding a row of
    every name ("志愿服务经费和交通设施维护经费相差多少" is about one table, not five)."""
    if len(matches) < 2 or all(len(m.projects) == 1 for m in matches):
        return matches
    shared = set.intersection(*({p.source for p in m.projects} for m in matches))
    if not shared:
        return matches
    return [ProjectMatch(m.text, [p for p in m.projects if p.source in shared], m.strong) for m in matches]


_REGION = re.compile(r"^[^省市区县]{1,8}?(?:自治区|省|市|区|县)(?=.{2,})")


@lru_cache(maxsize=4096)
def department_forms(department: str) -> frozenset[str]:
    """A department's names as people say them: 广州市白云区民政局 → 白云区民政局 → 民政局, and aliases."""
    full = for_matching(department).replace("(部门)", "")
    forms = {full}
    core = full
    while (m := _REGION.match(core)) and len(core) - m.end() >= 2:
        core = core[m.end():]
        forms.add(core)
    for long, short in DEPARTMENT_ALIASES:
        for f in list(forms):
            if long in f:
                forms.add(f.replace(long, short))
    # A town's or district's own government is named by the place: 井研县马踏镇人民政府 → 马踏镇.
    for f in list(forms):
        m = _PLACE_GOVERNMENT.fullmatch(f)
        if m:
            forms.add(m.group(1))
    return frozenset(f for f in forms if len(f) >= 2)


_PLACE_GOVERNMENT = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:镇|乡|街道|县|区|市))(?:人民政府|政府|街道办事处|办事处)")


_PLACE_BEFORE = re.compile(r"([\u4e00-\u9fff]{1,4}?(?:区|县|市|镇|街道))$")


def _wrong_place(q: str, department: str) -> str:
    """"白云区民政局" when the 民政局 indexed is 增城区's: the place named before the matched form."""
    full = for_matching(department)
    for form in sorted((f for f in department_forms(department) if f in q), key=len, reverse=True):
        m = _PLACE_BEFORE.search(q[: q.find(form)])
        if m and m.group(1) not in full and not any(m.group(1).endswith(x) for x in ("的市", "的区")):
            return m.group(1) + form
        return ""
    return ""


def match_departments(q: str, departments: list[str]) -> tuple[list[str], list[str]]:
    """(departments named, names of departments the data does not hold: 白云区民政局 beside 增城区民政局)."""
    found = [d for d in departments if any(f in q for f in department_forms(d))]
    wrong = [w for d in found if (w := _wrong_place(q, d))]
    found = [d for d in found if not _wrong_place(q, d)]
    return _longest(q, found), list(dict.fromkeys(wrong)) if not found else []


# A department said by its name: an optional place, two to six characters, and the kind of body it is.
_SUBJECT_AFTER = r"(?=的|人民政府|政府|部门|整体|有|项目|预算|一共|总|和|与|比|\d|今年|去年|明年|$)"
_ORGANISATION = re.compile(r"[\u4e00-\u9fff]{2,10}?(?:委员会|人民政府|联合会|工商联|办公室|局|厅|委)" + _SUBJECT_AFTER)
# A town or county named alone ("马踏镇的项目"), as the subject of the question.
_PLACE_NAMED = re.compile(r"[\u4e00-\u9fff]{2,4}?(?:镇|县|街道)" + _SUBJECT_AFTER)
_NOT_ORGANISATION = ("布局", "格局", "大局", "结局", "全局", "当局", "开局", "棋局", "邮局")
_FUNCTION_CHARS = re.compile(r".*[的了吗呢和与及跟比在是有把对给从问请]")


@lru_cache(maxsize=4)
def _known_forms(departments: tuple[str, ...]) -> frozenset[str]:
    """Every form of every indexed department, once per catalog (not once per question)."""
    return frozenset(f for d in departments for f in department_forms(d))


def unknown_departments(text: str, departments: list[str]) -> list[str]:
    """Departments a question names that the data holds no table for ("白云区教育局"), from what is
    left once known names are taken out. A name ending in one of a known department's forms is known."""
    forms = _known_forms(tuple(departments))
    out = []
    for m in [*_ORGANISATION.finditer(text), *_PLACE_NAMED.finditer(text)]:
        name = _FUNCTION_CHARS.sub("", m.group(0))  # "预算最多的教育局" → "教育局"
        if len(name) < 3 or name.endswith(_NOT_ORGANISATION) or any(ch in "全各本该每我所其此某按据照" for ch in name[:-1]):
            continue  # "覆盖全县", "按区委(要求)": not a department being asked about
        if any(name.endswith(f) or f.endswith(name) for f in forms):
            continue
        if any(name in for_matching(d) for d in departments):
            continue
        out.append(name)
    return out


def _longest(q: str, found: list[str]) -> list[str]:
    """Drop a department whose name in the question is only part of another's longer name: "民政局"
    names every district's 民政局, but "白云区民政局" only one. Two departments named apart both stay."""
    spans = {d: [(q.find(f), q.find(f) + len(f)) for f in department_forms(d) if f in q] for d in found}
    widest = {d: max(spans[d], key=lambda s: s[1] - s[0]) for d in found}

    def covered(d: str) -> bool:
        a, b = widest[d]
        return any(o != d and widest[o][0] <= a and b <= widest[o][1] and widest[o][1] - widest[o][0] > b - a
                   for o in found)

    kept = [d for d in found if not covered(d)]
    # In the order the question names them ("A比B多多少").
    return sorted(kept, key=lambda d: widest[d][0])


def detect_categories(q: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(level-1 codes, level-2 codes) named in the question; longest spelling wins."""
    level1: list[str] = []
    level2: list[str] = []
    rest = q
    for c in _CATEGORY_POOL:
        for v in variants(c):
            if len(v) >= 2 and v in rest and (v not in _BARE_WORDS or re.search(f"{v}(类|指标|方面)|(关于|属于)的?{v}", rest)):
                (level2 if c.level == 2 else level1).append(c.code)
                rest = rest.replace(v, "|")
                break
    # "满意度" names both the level-1 category and its only child; keep the level-1 reading.
    if "31" in level2 and "3" not in level1:
        level2.remove("31")
        level1.append("3")
    # "产出指标里的数量指标": a level-2 category narrows its own parent.
    level1 = [c for c in level1 if not any(BY_CODE[x].parent == c for x in level2)]
    # "成本指标" is level 2 (14) in the seed's framework; level 1 (4) only in newer templates.
    if "4" in level1 and "14" not in level2 and not any(c.startswith("4") for c in level2):
        level1.remove("4")
        level2.append("14")
    return tuple(dict.fromkeys(level1)), tuple(dict.fromkeys(level2))


def detect_mentions(q: str, vocab: Vocabulary, scope: set[ProjectKey] | None = None) -> tuple[list[Indicator], bool]:
    """Indicators whose name (or a distinctive value) appears in the question; the longest wins,
    and every row with that name is kept (the same indicator in several projects)."""
    def in_scope(rows: list[Indicator]) -> list[Indicator]:
        return [r for r in rows if not scope or project_key(r) in scope]

    names = sorted(vocab.names_in(q), key=len, reverse=True)
    distinct = [n for i, n in enumerate(names) if not any(n in longer for longer in names[:i])]
    found = [r for n in distinct for r in in_scope(vocab.by_name[n])]
    if found:
        return found, False
    values = [v for v in vocab.values_in(q)]
    for value in sorted(values, key=len, reverse=True):
        if rows := in_scope(vocab.by_value[value]):
            return rows, True
    return [], False


LOOSE_NAME = 80  # partial_ratio of a named project's indicator name (or its reading) against the question
LOOSE_MARGIN = 8


def _loose_mention(q: str, rows: list[Indicator]) -> list[Indicator]:
    """An indicator of the named project said loosely: words left out or misread ("巩固脱贫攻坚成果" for
    巩固拓展股贫攻坚成果, read 巩固拓展脱贫攻坚成果). One clear winner, or nothing."""
    scored: dict[str, tuple[float, list[Indicator]]] = {}
    for r in rows:
        names = {for_matching(r.indicator), for_matching(r.reading)} - {""}
        best = max((fuzz.partial_ratio(n, q) for n in names if len(n) >= 5), default=0.0)
        score, same = scored.get(for_matching(r.indicator), (0.0, []))
        scored[for_matching(r.indicator)] = (max(score, best), [*same, r])
    ranked = sorted(scored.values(), key=lambda t: -t[0])
    if not ranked or ranked[0][0] < LOOSE_NAME:
        return _in_order_mention(q, rows)
    # Names about equally close ("促进集体经济发展": 促进村… and 促进农村…) are all kept: the answer shows each.
    return [r for score, rows in ranked if ranked[0][0] - score < LOOSE_MARGIN for r in rows]


def _common_subsequence(a: str, b: str) -> int:
    """Length of the longest common subsequence (characters in the same order, gaps allowed)."""
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if ch == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _in_order_mention(q: str, rows: list[Indicator]) -> list[Indicator]:
    """A long indicator name said with words left out, in order ("巩固脱贫成果" for 巩固拓展脱贫攻坚成果): most of
    its characters, in order, and clearly more than any other name of the project."""
    scored: dict[str, tuple[int, list[Indicator]]] = {}
    for r in rows:
        names = {for_matching(r.indicator), for_matching(r.reading)} - {""}
        best = max((n for n in names if len(n) >= 6), key=lambda n: _common_subsequence(n, q) / len(n), default="")
        common = _common_subsequence(best, q) if best else 0
        if common >= 5 and common / len(best) >= 0.6:
            key = for_matching(r.indicator)
            scored[key] = (max(common, scored.get(key, (0, []))[0]), [*scored.get(key, (0, []))[1], r])
    ranked = sorted(scored.values(), key=lambda t: -t[0])
    if not ranked or (len(ranked) > 1 and ranked[0][0] - ranked[1][0] < 2):
        return []
    return ranked[0][1]


def link(question: str, vocab: Vocabulary, within: list[str] | None = None) -> Links:
    """Stage 1: everything the question names, linked to the catalog; `within` (departments the conversation
    is about) is where names are looked for when the question names no department of its own."""
    text, english = english_to_cues(question)
    q = for_matching(text).lower()
    links = Links(question=question, text=q, english=english)
    links.departments, links.missing_departments = match_departments(q, vocab.departments)
    links.years = sorted({int(y) for y in _YEAR.findall(q)})
    links.outside = [p for p in lx.PLACES if p in q and p not in vocab.places] + links.missing_departments
    positions = vocab.named_in(q)
    candidates = [vocab.projects[n] for n in dict.fromkeys([*positions, *vocab.overlapping(q)])]
    if links.departments or within:  # every project of those departments (a few dozen), not the closest 40 overall
        candidates = [p for d in (links.departments or within or []) for p in vocab.of_department.get(d, [])]
    if links.years and len(links.departments) < 2 and any(p.year in links.years for p in candidates):
        candidates = [p for p in candidates if p.year in links.years]
    elif links.years and len(links.departments) >= 2:
        # "2024年A局的X比B局的Y多几个": each department's table of that year where it has one.
        dated = {p.department for p in candidates if p.year in links.years}
        candidates = [p for p in candidates if p.department not in dated or p.year in links.years]
    # Indicator names first: "政府雇员指标数" names an indicator, not the projects called 政府雇员….
    mentioned = sorted(vocab.names_in(q), key=len, reverse=True)
    mentioned = [n for i, n in enumerate(mentioned) if not any(n in longer for longer in mentioned[:i])]
    unnamed = q
    for name in mentioned:
        unnamed = unnamed.replace(name, "|")
    for d in links.departments:  # "退役军人事务局" does not name the project 退役军人优抚服务费
        for form in sorted(department_forms(d), key=len, reverse=True):
            unnamed = unnamed.replace(form, "|")
    links.matches = together(match_projects(unnamed, candidates))
    if links.departments:
        # "A局的X是Y的几倍", "村组干部报酬比白云区工商联合计多多少": a full name outside the named departments,
        # unless it is said as one of theirs ("白云区工商联的X").
        rest = unnamed
        for m in links.matches:
            rest = rest.replace(m.text, "|")
        others = [vocab.projects[n] for n in vocab.named_in(rest)]
        extra = [m for m in match_projects(rest, others) if m.strong and len(m.text) >= 4
                 and not _said_as_theirs(q, m.text, links.departments)]
        links.matches = together(links.matches + extra)
    if len(links.departments) >= 2:
        links.matches = _paired(links.matches, q, links.departments)
    links.excluded = [m for m in links.matches if _excluded(unnamed, m.text)]
    links.matches = [m for m in links.matches if m not in links.excluded]
    for m in links.excluded:
        unnamed = unnamed.replace(m.text, "|")
    rest = unnamed
    for m in [*links.matches, *links.excluded]:
        rest = rest.replace(m.text, "|")
    strangers = unknown_departments(rest, vocab.departments)
    if strangers:  # "白云区教育局的项目预算": a department the data has no table for
        links.missing_departments = list(dict.fromkeys([*links.missing_departments, *strangers]))
        links.outside = list(dict.fromkeys([*links.outside, *strangers]))
    links.level1, links.level2 = detect_categories(rest)
    scope = {project_key(p) for p in links.projects} or None
    links.mentions, links.mentioned_by_value = detect_mentions(q, vocab, scope)
    named = links.projects or [p for d in links.departments for p in vocab.of_department.get(d, [])]
    if not links.mentions and named and len(named) <= 8:
        links.mentions = _loose_mention(rest, [i for p in named for i in vocab.indicators_of(p)])
    if (links.level1 or links.level2) and links.mentions:
        # "政府雇原工资经费的时效指标": a name read loosely out of a misspelt project name is not the
        # indicator asked about when it is not of the category the question names.
        fit = [i for i in links.mentions if i.level1_code in links.level1 or i.level2_code in links.level2]
        if not fit:
            links.mentions, links.mentioned_by_value = [], False
    if scope and not links.mentions and mentioned:
        links.foreign = [vocab.by_name[n][0].indicator for n in mentioned]
    token = _VALUE_TOKEN.search(q)
    links.value_token = token.group(0) if token else ""
    found = sorted((q.find(w), n) for w, n in lx.ORDINALS.items() if w in q)
    links.ordinals = list(dict.fromkeys(n for _, n in found))
    links.ordinal = links.ordinals[0] if links.ordinals else None
    if not links.matches:
        m = _NAMED.search(unnamed)  # not inside an indicator's name ("发放补贴人数")
        name = re.sub(r"^\d{2,4}年(度)?", "", (m.group(1) or m.group(2)) if m else "")  # "2024年项目经费": a year
        # "项目经费", "按经费", "其余项目": words, not a project's name.
        if _NOT_A_NAME.search(name) or (m and m.group(2) and _NOT_A_PROJECT_NAME.search(name)):
            name = ""
        links.unknown_name = name if len(name) > 3 and not _generic(name) else ""
        if links.unknown_name:
            typo = _misspelt(links.unknown_name, candidates)
            if typo is not None:
                links.matches, links.unknown_name = [typo], ""
    return links


_PARTICLES = tuple("的了吗呢吧啊是有没么什哪些多少那这个要请问和与及在里从给让把对它其该")


def topic(links: Links) -> str:
    """The question minus names, category words and cue words: what it is about, for retrieval."""
    rest = links.text
    for m in links.matches:
        rest = rest.replace(m.text, "|")
    for d in links.departments:
        for f in sorted(department_forms(d), key=len, reverse=True):
            rest = rest.replace(f, "|")
    words = [v for c in _CATEGORY_POOL for v in variants(c)] + ["指标值", "指标", "项目", "经费", "绩效"]
    for group in (words, lx.VALUE, lx.FOLLOWUP, lx.LIST, lx.DESCRIBED, lx.AMOUNT, lx.SUM, lx.EXISTS, lx.REVERSE, lx.GOAL,
                  lx.ANNUAL_WORDS, lx.PERIOD_WORDS):
        for w in sorted(group, key=len, reverse=True):
            if len(w) >= 2:
                rest = rest.replace(w, "|")
    return "".join(ch for ch in rest if ch not in _PARTICLES and ch.isalnum())
