"""Understand a question: which projects, which categories, which indicators, what is asked.

Everything is matched against the catalog of indexed records, so names are the data's
names: full or shortened project names, department aliases, OCR variants (fuzzy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from rapidfuzz import fuzz

from assistant import lexicon as lx
from assistant.vocabulary import ProjectKey, Vocabulary, project_key, short_name
from ingest.normalize import for_matching
from ingest.records import Indicator, Project
from ingest.taxonomy import (
    DEPARTMENT_ALIASES,
    LEVEL1,
    LEVEL2,
    Category,
    variants,
)

_STOP = {"工作", "经费", "项目", "服务", "补贴", "资金", "单位", "管理", "专项", "政府", "组织", "指标", "建设", "经济"}
_COMPARATOR = re.compile(r"(超过|大于|高于|多于|不少于|不低于|至少|小于|低于|少于|不超过|不到|以上|以下)\s*(\d+(?:\.\d+)?)\s*万?"
                         r"|(\d+(?:\.\d+)?)\s*万(?:元)?\s*(以上|以下)")
_YEAR = re.compile(r"(20[0-4]\d)\s*年")
# A project-like name in the question: "城市绿化养护经费" (no 的/那/这 inside: those are descriptions).
_NAMED = re.compile(r"([^\s的那这哪些个,。?!、:;|]{2,14}?(?:工作经费|项目经费|专项资金|经费|补贴|专项))")
_CATEGORY_POOL: tuple[Category, ...] = tuple(sorted(LEVEL2 + LEVEL1, key=lambda c: -max(len(v) for v in variants(c))))


@dataclass
class Understanding:
    """What a question asks, resolved against the catalog."""

    question: str
    intent: str = "search"
    projects: list[Project] = field(default_factory=list)
    level1: tuple[str, ...] = ()
    level2: tuple[str, ...] = ()
    mentions: list[Indicator] = field(default_factory=list)  # indicators named in the question
    departments: list[str] = field(default_factory=list)
    year: int = 0
    negated: bool = False
    column: str = "total"  # funding column for totals
    comparator: tuple[str, float] | None = None
    ordinal: int | None = None
    value_field: str = ""  # "period" | "annual" | ""
    outside: list[str] = field(default_factory=list)  # places the data does not cover
    in_domain: bool = False
    followup: bool = False  # elliptical: leans on the conversation
    project_named: bool = False
    residual: str = ""  # what is left after names, categories and cue words: the topic
    named: str = ""  # a project-like name in the question that matched no project
    all_have: bool = False  # "所有项目都有产出指标吗": a yes/no over every project
    lowest: bool = False  # extremes: the smallest rather than the largest
    row_filter: str = ""  # "empty_annual" | "values_differ" | "value:<text>": a condition on indicator rows

    @property
    def has_category(self) -> bool:
        return bool(self.level1 or self.level2)

    def category_label(self) -> str:
        from ingest.taxonomy import BY_CODE

        codes = self.level2 or self.level1
        return "、".join(BY_CODE[c].name for c in codes)


def has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


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
def _name_forms(name: str) -> tuple[str, str]:
    return for_matching(name), for_matching(short_name(name))


def _generic(common: str) -> bool:
    """An overlap made only of words every project name has (工作经费, 服务项目)."""
    rest = common
    for w in sorted(_STOP, key=len, reverse=True):
        rest = rest.replace(w, "")
    return len(rest) < 2 or any(common in w for w in ("满意度指标", "社会效益", "经济效益", "可持续影响"))


def _strong_match(q: str, p: Project) -> str:
    """The full or short project name when the question contains it."""
    full, short = _name_forms(p.project)
    if full in q:
        return full
    return short if len(short) >= 2 and short in q else ""


def _weak_match(q: str, p: Project) -> str:
    """A distinctive overlap with the name (政府雇员公用经费 ← 公用经费), or a fuzzy (typo) match."""
    full, short = _name_forms(p.project)
    common = _longest_common(q, full)
    if not _generic(common) and (len(common) >= 3 or (len(common) == 2 and len(short) <= 3)):
        return common
    if len(short) >= 4 and fuzz.partial_ratio(short, q) >= 86:
        return short
    return ""


def match_projects(q: str, projects: list[Project]) -> list[Project]:
    """Projects the question names: full or short names first, each taking its span of the
    question; weaker overlaps are then looked for in what is left ("政府雇员工资和公用经费")."""
    chosen: list[Project] = []
    seen: set[str] = set()
    for finder in (_strong_match, _weak_match):
        found = [(text, p) for p in projects if p.id not in seen and (text := finder(q, p))]
        if not found:
            continue
        found.sort(key=lambda t: -len(t[0]))
        taken: list[tuple[int, int]] = []
        for text, p in found:
            start = q.find(text)
            span = (start, start + len(text)) if start >= 0 else None
            if span and any(span[0] < e and s < span[1] and (s, e) != span for s, e in taken):
                continue
            if span:
                taken.append(span)
            chosen.append(p)
            seen.add(p.id)
        for s_, e in taken:
            q = q[:s_] + "|" * (e - s_) + q[e:]
    return chosen


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
    return frozenset(f for f in forms if len(f) >= 2)


def match_departments(q: str, departments: list[str]) -> list[str]:
    return [d for d in departments if any(f in q for f in department_forms(d))]


def detect_categories(q: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(level-1 codes, level-2 codes) named in the question; longest spelling wins."""
    level1: list[str] = []
    level2: list[str] = []
    rest = q
    for c in _CATEGORY_POOL:
        for v in variants(c):
            if len(v) >= 2 and v in rest:
                (level2 if c.level == 2 else level1).append(c.code)
                rest = rest.replace(v, "|")
                break
    # "满意度" names both the level-1 category and its only child; keep the level-1 reading.
    if "31" in level2 and "3" not in level1:
        level2.remove("31")
        level1.append("3")
    return tuple(dict.fromkeys(level1)), tuple(dict.fromkeys(level2))


def detect_mentions(q: str, vocab: Vocabulary, scope: set[ProjectKey] | None = None) -> list[Indicator]:
    """Indicators whose name (or a distinctive value) appears in the question; the longest wins,
    and every row with that name is kept (the same indicator in several projects)."""
    def in_scope(rows: list[Indicator]) -> list[Indicator]:
        return [r for r in rows if not scope or project_key(r) in scope]

    names = sorted((n for n in vocab.by_name if len(n) >= 3 and n in q), key=len, reverse=True)
    # Every distinct name asked about ("活动出勤率和活动数量"), but not one inside a longer one.
    distinct = [n for i, n in enumerate(names) if not any(n in longer for longer in names[:i])]
    found = [r for n in distinct for r in in_scope(vocab.by_name[n])]
    if found:
        return found
    values = [v for v in vocab.by_value if v in q]
    for value in sorted(values, key=len, reverse=True):
        if rows := in_scope(vocab.by_value[value]):
            return rows
    return []


def _comparator(q: str) -> tuple[str, float] | None:
    m = _COMPARATOR.search(q)
    if not m:
        return None
    if m.group(3):
        return (">" if m.group(4) == "以上" else "<"), float(m.group(3))
    word, number = m.group(1), float(m.group(2))
    return ("<" if word in ("小于", "低于", "少于", "不超过", "不到", "以下") else ">"), number


def understand(question: str, vocab: Vocabulary) -> Understanding:
    """Read one question (no conversation context) against the indexed data."""
    q = for_matching(question)
    u = Understanding(question=question)
    u.departments = match_departments(q, vocab.departments)
    year = _YEAR.search(q)
    u.year = int(year.group(1)) if year else 0
    u.outside = [p for p in lx.PLACES if p in q and p not in vocab.places]
    positions = vocab.named_in(q)
    projects = [vocab.projects[n] for n in dict.fromkeys([*positions, *vocab.overlapping(q)])]
    if u.departments:
        projects = [p for p in projects if p.department in u.departments]
    if u.year and any(p.year == u.year for p in projects):
        projects = [p for p in projects if p.year == u.year]
    u.projects = match_projects(q, projects)
    u.project_named = bool(u.projects)
    u.level1, u.level2 = detect_categories(q)
    u.mentions = detect_mentions(q, vocab, {project_key(p) for p in u.projects} or None)
    u.negated = has_any(q, lx.NEGATION) and not has_any(q, ("有没有",))
    u.comparator = _comparator(q)
    u.ordinal = next((n for w, n in lx.ORDINALS.items() if w in q), None)
    annual, period = has_any(q, lx.ANNUAL_WORDS), has_any(q, lx.PERIOD_WORDS)
    u.value_field = "annual" if annual and not period else "period" if period and not annual else ""
    for key, label in (("fiscal", "财政拨款"), ("special", "财政专户"), ("other", "其他资金")):
        if label in q:
            u.column = key
    u.residual = residual(q, u)
    u.row_filter = _row_filter(q, u)
    u.all_have = has_any(q, lx.ALL_HAVE) and has_any(q, ("吗", "是否", "是不是"))
    compare = _COMPARE.search(q)
    u.lowest = has_any(q, lx.MINIMUM) or bool(compare and compare.group(2) in "少低小")
    if not u.projects:
        m = _NAMED.search(q)
        u.named = m.group(1) if m and len(m.group(1)) > 3 else ""
    u.in_domain = bool(u.projects or u.departments or u.has_category or u.mentions or has_any(q, lx.DOMAIN_WORDS))
    u.followup = has_any(q, lx.FOLLOWUP) or u.ordinal is not None or len(q) <= 6
    u.intent = _intent(q, u)
    return u


_PARTICLES = tuple("的了吗呢吧啊是有没么什哪些多少那这个要请问和与及在里从给让把对")


def residual(q: str, u: Understanding) -> str:
    """The question minus project names, category words and cue words: its own topic."""
    rest = q
    for p in u.projects:
        for form in (*_name_forms(p.project), _weak_match(rest, p)):
            if form:
                rest = rest.replace(form, "|")
    words = [v for c in _CATEGORY_POOL for v in variants(c)] + ["指标值", "指标", "项目", "经费", "绩效"]
    for group in (words, lx.VALUE, lx.INDICATOR_LIST, lx.FOLLOWUP, lx.LIST, lx.NEGATION):
        for w in sorted(group, key=len, reverse=True):
            rest = rest.replace(w, "|")
    return "".join(ch for ch in rest if ch not in _PARTICLES and ch.isalnum())


_COMPARE = re.compile(r"(哪个|谁).{0,6}(多|少|高|低|大|小)")
_VALUE_TOKEN = re.compile(r"[≥≤<>]?\d+(?:\.\d+)?(?:%|个|次|台|名|家|人|天|元|万元|项)")


def _row_filter(q: str, u: Understanding) -> str:
    if has_any(q, lx.EMPTY_VALUE_WORDS):
        return "empty_annual"
    if has_any(q, lx.DIFFERENT) and "年度" in q and "周期" in q:
        return "values_differ"
    token = _VALUE_TOKEN.search(q)
    if token and "指标" in q and has_any(q, lx.LIST) and not u.mentions:
        return f"value:{token.group(0)}"
    return ""


def _intent(q: str, u: Understanding) -> str:
    if u.outside:
        return "refuse"
    counts_indicators = "指标" in q and has_any(q, lx.COUNT)
    if has_any(q, lx.TOTAL) and not u.mentions and not counts_indicators:
        return "total"
    if len(u.projects) > 1 and _COMPARE.search(q):
        return "extreme"
    if has_any(q, lx.MAXIMUM) or has_any(q, lx.MINIMUM):
        # "满意度要求最高": values are text, not comparable; show them side by side instead.
        return "list" if u.has_category and not u.project_named else "extreme"
    if u.row_filter:
        return "list"
    if u.mentions and not u.project_named and has_any(q, (*lx.REVERSE, "哪些项目", "在哪", "哪几个")):
        return "reverse"
    if not u.project_named and not u.has_category and not u.mentions and (
            u.comparator or has_any(q, lx.PROJECT_LIST)):
        return "count"
    if has_any(q, lx.REVERSE) and (u.mentions or not u.project_named):
        return "reverse"
    if not u.project_named:
        if u.mentions:
            return "value"
        if u.has_category:
            return "list"
        if has_any(q, lx.FUNDING):
            return "count" if u.column != "total" and "项目" in q else "funding"
        if has_any(q, lx.AMOUNT):
            return "total" if u.departments else "amount"
        if has_any(q, lx.GOAL) and not has_any(q, ("目标值",)):
            return "goal"
        return "search"
    asks_list = counts_indicators or has_any(q, lx.ALL_INDICATORS)
    if has_any(q, lx.FUNDING):
        return "funding"
    if u.mentions:
        return "value"
    if u.has_category:
        return "value" if has_any(q, lx.VALUE) and not has_any(q, lx.EXISTENCE) and not asks_list else "indicators"
    if has_any(q, lx.AMOUNT):
        return "amount"
    if has_any(q, lx.GOAL) and not has_any(q, ("目标值", "指标")):
        return "goal"
    if asks_list:
        return "indicators"
    if has_any(q, lx.VALUE) or len(u.residual) >= 2:
        return "value"
    if has_any(q, lx.INDICATOR_LIST):
        return "indicators"
    return "search"
