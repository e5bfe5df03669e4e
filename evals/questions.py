"""`python -m evals questions`: generated questions with gold plans and answers, and a judge for them.

The questions are asked about a synthetic corpus (`ingest.synth.generate`): every gold answer is computed
from the generator's ground truth (`truth.json`), never from the assistant. Each operation of the query-plan
vocabulary gets many phrasings (`evals/phrasings.py`), asked as people ask: short names, department names
only where a project name recurs, typos, Traditional characters, English terms, follow-ups that lean on
earlier turns, off-topic questions, unknown projects, absent categories, and descriptions that fit two
projects (those expect a clarifying question).

    items = generate(truth, seed=1)            # gold items (DESIGN.md section 5 + plan, tags, form)
    why = judge(item, answer.to_json())        # [] when the answer is right, else the reasons
    report = score(items, answers)             # accuracy per operation, per phrasing tag, failures

`--score` builds the corpus into a scratch index and asks `assistant.Assistant` every question.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from evals import phrasings as ph
from ingest.normalize import for_matching

OPS = ("lookup", "list", "count", "sum", "average", "max", "min", "sort", "top", "share", "difference", "ratio",
       "all_have", "exists", "reverse", "search", "refuse")
MEASURES = ("amount", "funding", "goal", "indicator_value", "indicators", "indicator_count", "projects")
DEFAULT_NOISE = "moderate"
TOLERANCE = 0.006  # numbers are compared after rounding to 2 decimals
MAX_EVIDENCE = 12  # rows an answer must cite as evidence; beyond that only the result is checked
MAX_LISTED = 12  # list questions are asked only when the whole answer fits in one listing
MAX_PROJECTS = 15  # department-wide listings and sorts only for departments of at most this many projects
ANY = "*"  # a cite entry (project, "*"): any row of that project will do
P_ENGLISH = 0.15
P_TYPO = 0.12
P_TRADITIONAL = 0.1
_SUFFIXES = ("运行维护费", "工作经费", "专项经费", "项目经费", "服务费", "经费", "补贴")
_GENERIC = ("工作", "经费", "项目", "服务", "补贴", "专项", "运行", "维护", "管理", "建设", "政府", "活动", "中心")
_SEARCH_INDICATOR_WORDS = ("培训", "设备", "企业", "及时", "合格", "资金", "群众", "走访", "宣传", "讲座", "社区", "工单",
                           "抽检", "帮扶", "雇员", "节能", "绿化", "河涌", "招商", "归档", "整改", "薪酬", "规范", "制度",
                           "机制", "安全", "补贴", "覆盖", "支付")
_SEARCH_TOPIC_WORDS = ("档案", "救助", "养老", "疫苗", "绿化", "垃圾", "道路", "党建", "培训", "网络", "信访", "审计",
                       "统计", "消防", "法律", "普法", "志愿", "科普", "商会", "职工", "妇女", "青少年", "残疾人", "退役军人",
                       "就业", "河涌", "排水", "农田", "动物", "食品", "图书馆", "健身", "演出", "热线", "乡村", "信创",
                       "雇员", "办公", "学生", "教师", "校园", "家庭医生", "公共卫生", "社区矫正", "应急", "不动产", "帮扶")
_REGION = re.compile(r"^(广州市)?(.{2}区)(.+)$")


# -- the ground truth, as the generator sees it -----------------------------------------------

@dataclass(frozen=True)
class Row:
    """One indicator of the truth."""

    project: str
    level1_code: str
    level2_code: str
    indicator: str
    period_value: str
    annual_value: str


@dataclass(frozen=True, eq=False)
class Proj:
    """One project of the truth (amounts in 万元, kept as cents so sums are exact)."""

    name: str
    department: str
    year: int
    source: str
    cents: dict[str, int | None]
    goal: str
    rows: tuple[Row, ...]
    complete: bool  # no indicator lost to damage no parser can undo

    @property
    def topic(self) -> str:
        """The part of the name people say: 信创设备购置经费 → 信创设备购置."""
        for suffix in _SUFFIXES:
            if self.name.endswith(suffix) and len(self.name) - len(suffix) >= 2:
                return self.name[: -len(suffix)]
        return self.name

    @property
    def total(self) -> int:
        return self.cents["total"] or 0

    def in_category(self, code: str) -> list[Row]:
        return [r for r in self.rows if code in (r.level1_code, r.level2_code)]


@dataclass(eq=False)
class Dept:
    """One department's table."""

    name: str
    year: int
    source: str
    projects: list[Proj]
    reconciled: bool  # its totals add up (no injected mismatch): department sums are unambiguous
    complete: bool  # every project complete

    @property
    def rows(self) -> list[Row]:
        return [r for p in self.projects for r in p.rows]


def _cents(value: float | None) -> int | None:
    return None if value is None else round(value * 100)


def corpus_from_truth(truth: dict[str, Any]) -> list[Dept]:
    """The departments of a `truth.json` (ingest.synth), in file order."""
    depts = []
    for f in truth["files"]:
        projects = []
        for p in f["projects"]:
            rows = tuple(Row(p["project"], i["level1_code"], i["level2_code"], i["indicator"], i["period_value"],
                             i["annual_value"]) for i in p["indicators"] if not i.get("lost"))
            complete = not any(i.get("lost") for i in p["indicators"])
            projects.append(Proj(p["project"], f["department"], f["year"], f["file"],
                                 {k: _cents(v) for k, v in p["amounts"].items()}, p["goal"], rows, complete))
        depts.append(Dept(f["department"], f["year"], f["file"], projects, not f.get("mismatches"),
                          all(p.complete for p in projects)))
    return depts


# -- numbers as an answer must print them ---------------------------------------------------

def money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def count(n: int) -> str:
    """A count as an answer states it: a number with a classifier (6个, 6条, 6项)."""
    return f"{n}个"


def yuan(cents: int) -> str:
    return f"{cents * 100}元"


def percent(part: float, whole: float) -> str:
    return f"{part / whole * 100:.2f}%"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}"


def vague(value: str) -> bool:
    """The audit's rule: a value with no number, comparison or verifiable criterion (or a discretionary score)."""
    from assistant.audit import vague_reason  # the audit owns the rule; imported late (it loads the assistant)

    return bool(vague_reason(value))


# -- items ------------------------------------------------------------------------------------

@dataclass
class Mention:
    """A project as a question names it."""

    text: str  # what the question says
    form: str  # the name form inside it (full name or topic)
    project: Proj
    scoped: bool  # the department is said too (or the question scopes it otherwise)


@dataclass
class Fact:
    """One question's meaning before it is phrased: slots, gold plan and expected answer."""

    slots: dict[str, str]
    plan: dict[str, Any]
    expect: dict[str, Any]
    departments: list[Dept] = field(default_factory=list)
    mentions: dict[str, Mention] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    phrasing: str = ""  # template key when it differs from the form


def plan(op: str, measure: str | None, **more: Any) -> dict[str, Any]:
    """A gold plan: op, measure and whatever else is given (None values left out)."""
    out: dict[str, Any] = {"op": op, "measure": measure}
    out.update({k: v for k, v in more.items() if v is not None})
    return out


def scope(dept: Dept | None = None, projects: Iterable[Proj] = (), **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if dept is not None:
        out["department"], out["year"] = dept.name, dept.year
    names = [p.name for p in projects]
    if names:
        out["projects"] = names
    out.update({k: v for k, v in more.items() if v is not None})
    return out


def expect(cite: Sequence[tuple[Proj, str | None]] = (), contains: Sequence[str] = (), *, absent: bool = False,
           refuse: bool = False, clarify: bool = False, ordered: Sequence[Sequence[str]] = (),
           options: Sequence[str] = ()) -> dict[str, Any]:
    """The gold `expect` object (DESIGN.md section 5), with the departments of the cited rows beside it."""
    out: dict[str, Any] = {"cite": [[p.name, ind] for p, ind in cite], "cite_in": [p.department for p, _ in cite],
                           "answer_contains": list(dict.fromkeys(contains)), "absent": absent, "refuse": refuse}
    if clarify:
        out["clarify"] = True
        out["options"] = list(options)
    if ordered:
        out["ordered"] = [list(g) for g in ordered]
    return out


def evidence(cite: list[tuple[Proj, str | None]]) -> list[tuple[Proj, str | None]]:
    """Rows an answer must cite, when few enough to list."""
    return cite if len(cite) <= MAX_EVIDENCE else []


def groups(items: Sequence[tuple[str, float]]) -> list[list[str]]:
    """Names grouped by equal keys, in the given (sorted) order: the order a sorted answer must keep."""
    out: list[list[str]] = []
    last: float | None = None
    for name, key in items:
        if out and key == last:
            out[-1].append(name)
        else:
            out.append([name])
        last = key
    return out


class Generator:
    """Turns a corpus into gold items; one random generator, so a seed fixes everything."""

    def __init__(self, depts: list[Dept], seed: int) -> None:
        self.depts = depts
        self.rng = random.Random(seed)
        self.projects = [p for d in depts for p in d.projects]
        self.counters: Counter[str] = Counter()
        self.starts: dict[str, int] = {}
        names = Counter((d.name, d.year) for d in depts)
        self.usable = [d for d in depts if names[(d.name, d.year)] == 1]
        self.years: dict[str, set[int]] = defaultdict(set)
        for d in depts:
            self.years[d.name].add(d.year)

    # -- names ---------------------------------------------------------------------------
    @staticmethod
    @cache
    def dept_forms(name: str) -> tuple[str, ...]:
        from ingest.taxonomy import DEPARTMENT_ALIASES

        forms = [name]
        m = _REGION.match(name)
        if m:
            forms += [m.group(2) + m.group(3), m.group(3)]
        for long, short in DEPARTMENT_ALIASES:
            forms += [f.replace(long, short) for f in forms if long in f]
        return tuple(dict.fromkeys(forms))

    def dept_ref(self, d: Dept) -> str:
        """A way to name the department that no other department's name contains."""
        forms = [f for f in self.dept_forms(d.name) if len(f) >= 3 and not any(
            f in other for o in self.depts if o.name != d.name for other in self.dept_forms(o.name))]
        form = self.rng.choice(forms) if forms else d.name
        if len(self.years[d.name]) > 1 or self.rng.random() < 0.08:
            return self.rng.choice((f"{form}{d.year}年", f"{d.year}年{form}"))
        return form

    def resolves(self, form: str, d: Dept | None) -> list[Proj]:
        pool = d.projects if d is not None else self.projects
        return [p for p in pool if form in p.name]

    def forms(self, p: Proj) -> list[str]:
        out = [p.name] + ([p.topic] if p.topic != p.name else [])
        if len(out) == 2 and self.rng.random() < 0.45:
            out.reverse()
        return out

    def mention(self, p: Proj, d: Dept) -> Mention | None:
        """{P}: the project named so that the question alone picks it out."""
        for form in self.forms(p):
            if self.resolves(form, None) == [p] and self.rng.random() < 0.55:
                return Mention(form, form, p, scoped=False)
            if self.resolves(form, d) == [p]:
                joiner = self.rng.choice(("的", "", "的", " "))
                return Mention(f"{self.dept_ref(d)}{joiner}{form}", form, p, scoped=True)
        return None

    def scoped(self, p: Proj, d: Dept) -> Mention | None:
        """{p}: the project named within its department (the question or the conversation names the department)."""
        for form in self.forms(p):
            if self.resolves(form, d) == [p]:
                return Mention(form, form, p, scoped=True)
        return None

    def category(self, code: str) -> dict[str, str]:
        return {"C": self.rng.choice(ph.CATEGORY_WORDS[code]), "Ce": ph.CATEGORY_ENGLISH[code]}

    def pick(self, items: Sequence[Any]) -> Any:
        return self.rng.choice(list(items)) if items else None

    # -- rendering -----------------------------------------------------------------------
    def choose(self, counter: str, bank: Sequence[Any], fits: Callable[[Any], bool]) -> tuple[Any, int] | None:
        """Round-robin over a bank (from a random start), skipping phrasings whose slots the fact lacks."""
        if counter not in self.starts:
            self.starts[counter] = self.rng.randrange(len(bank))
        base = self.starts[counter] + self.counters[counter]
        self.counters[counter] += 1
        for step in range(len(bank)):
            n = (base + step) % len(bank)
            if fits(bank[n]):
                return bank[n], n
        return None

    def typo(self, form: str, topic: str) -> str | None:
        """A dropped or two swapped characters inside the topic part of a name, never another name."""
        span = len(topic) if form.startswith(topic) else len(form)
        if span < 4:
            return None
        for _ in range(6):
            i = self.rng.randrange(1, span - 1)
            if self.rng.random() < 0.5:
                out = form[:i] + form[i + 1:]
            elif form[i] != form[i + 1]:
                out = form[:i] + form[i + 1] + form[i] + form[i + 2:]
            else:
                continue
            if not self.resolves(out, None):
                return out
        return None

    def render(self, form: str, fact: Fact, followup: bool) -> dict[str, Any] | None:
        """The fact phrased: a template of its form, then perhaps a typo or Traditional characters."""
        slots = dict(fact.slots)
        tags = list(fact.tags)
        key = fact.phrasing or form
        turn_templates: tuple[str, ...] = ()
        english = False
        if followup:
            picked = self.choose(f"{key}|f", ph.FOLLOWUPS[key], lambda t: _slots(*t[0], t[1]) <= set(slots))
            if picked is None:
                return None
            (turn_templates, template), n = picked
            tags.append("followup")
            phrasing = f"{key}#f{n}"
        else:
            picked = None
            if key in ph.ENGLISH and self.rng.random() < P_ENGLISH:
                picked = self.choose(f"{key}|en", ph.ENGLISH[key], lambda t: _slots(t) <= set(slots))
                english = picked is not None
            if picked is None:
                picked = self.choose(f"{key}|zh", ph.PHRASINGS[key], lambda t: _slots(t) <= set(slots))
            if picked is None:
                return None
            template, n = picked
            phrasing = f"{key}#{'en' if english else 'zh'}{n}"
            if english:
                tags.append("english")
        if english and "K" in slots:
            slots["K"] = str(fact.plan["k"])  # "top 两" reads badly; English takes digits
        used = _slots(*turn_templates, template)
        typo: list[str] = []
        typo_slots = [s for s in ("P", "P1", "P2", "p", "p1", "p2") if s in used and s in fact.mentions]
        if typo_slots and self.rng.random() < P_TYPO:
            slot = self.rng.choice(typo_slots)
            m = fact.mentions[slot]
            bad = self.typo(m.form, m.project.topic)
            if bad is not None:
                text = m.text.replace(m.form, bad, 1)
                if not m.scoped:  # a misspelt name alone could be anything: say the department
                    text = f"{self.dept_ref(self.dept_of(m.project))}的{bad}"
                slots[slot] = text
                tags.append("typo")
                typo = [bad, m.form, m.project.name]
        question = template.format(**slots)
        turns = [t.format(**slots) for t in turn_templates]
        if not english and self.rng.random() < P_TRADITIONAL:
            question = _traditional(question)
            tags.append("traditional")
        if any(m.form == m.project.topic != m.project.name for s, m in fact.mentions.items() if s in used):
            tags.append("short_name")
        op = fact.plan["op"]
        tags = [op, *dict.fromkeys(t for t in tags if t != op)]
        if len(tags) == 1:
            tags.append("plain")
        depts = fact.departments
        return {
            "id": "", "question": question, "turns": turns, "expect": fact.expect, "plan": fact.plan,
            "department": depts[0].name if len(depts) == 1 else [d.name for d in depts] or None,
            "source": depts[0].source if len(depts) == 1 else [d.source for d in depts] or None,
            "tags": tags, "form": form, "phrasing": phrasing, **({"typo": typo} if typo else {}),
        }

    # -- the whole bank ------------------------------------------------------------------
    def generate(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for d in self.usable:
            for form, build in FORMS.items():
                fact = build(self, d)
                item = None if fact is None else self.render(form, fact, followup=form in FOLLOWUP_FORMS)
                if item is not None:
                    items.append(item)
        for n, item in enumerate(items, 1):
            item["id"] = f"q{n:05d}"
        return items

    # -- helpers shared by forms ---------------------------------------------------------
    def two(self, d: Dept, same: bool = True) -> tuple[Proj, Proj] | None:
        """Two projects with different budgets, the larger first (mostly of one department)."""
        pool = d.projects if same else self.projects
        if len(pool) < 2:
            return None
        a, b = self.rng.sample(pool, 2)
        if a.total == b.total or not a.total or not b.total:
            return None
        return (a, b) if a.total > b.total else (b, a)

    def pair_slots(self, d: Dept, a: Proj, b: Proj) -> tuple[dict[str, str], dict[str, Mention]] | None:
        da = self.dept_of(a)
        db = self.dept_of(b)
        m1, m2 = self.mention(a, da), self.mention(b, db)
        if m1 is None or m2 is None:
            return None
        mentions = {"P1": m1, "P2": m2}
        slots = {"P1": m1.text, "P2": m2.text, "D": self.dept_ref(d)}
        if da is d and db is d:
            s1, s2 = self.scoped(a, d), self.scoped(b, d)
            if s1 is None or s2 is None:
                return None
            mentions.update(p1=s1, p2=s2)
            slots.update(p1=s1.text, p2=s2.text)
        return slots, mentions

    def dept_of(self, p: Proj) -> Dept:
        return next(d for d in self.depts if d.source == p.source)

    def threshold(self, d: Dept, most: int = 8) -> tuple[int, list[Proj]] | None:
        """A round amount (万元) with 1..most of the department's projects above it."""
        ranked = sorted(d.projects, key=lambda p: -p.total)
        for _ in range(4):
            j = self.rng.randint(1, min(most, len(ranked) - 1)) if len(ranked) > 1 else 0
            if not j:
                return None
            upper, lower = ranked[j - 1].total / 100, ranked[j].total / 100
            for step in (1000, 500, 100, 50, 10, 5, 1):
                n = math.floor(upper / step) * step
                if lower < n < upper:
                    return n, ranked[:j]
        return None


def _slots(*templates: str) -> set[str]:
    return {s for t in templates for s in re.findall(r"\{(\w+)\}", t)}


def _traditional(text: str) -> str:
    import opencc

    return _s2t(opencc).convert(text)


@cache
def _s2t(opencc: Any) -> Any:
    return opencc.OpenCC("s2t")


# -- forms: one function per way of computing a gold answer ------------------------------------
# Each returns a Fact (slots, gold plan, gold answer) or None when the department has no fitting data.

Form = Callable[[Generator, Dept], Fact | None]
FORMS: dict[str, Form] = {}
FOLLOWUP_FORMS: set[str] = set()


def form(name: str, followup: bool = False) -> Callable[[Form], Form]:
    def register(fn: Form) -> Form:
        FORMS[name] = fn
        if followup:
            FOLLOWUP_FORMS.add(name)
        return fn

    return register


def variant(name: str, build: Callable[..., Fact | None], followup: bool = False, **options: Any) -> None:
    """A form computed by another form's function with other options (one table row, not a wrapper)."""
    form(name, followup)(partial(build, **options))


def _project(g: Generator, d: Dept, keep: Callable[[Proj], bool] = lambda p: True) -> tuple[Proj, dict[str, str],
                                                                                           dict[str, Mention]] | None:
    """A random project of the department, with {P}, {p} and {D} filled."""
    pool = [p for p in d.projects if keep(p)]
    if not pool:
        return None
    p = g.rng.choice(pool)
    big, small = g.mention(p, d), g.scoped(p, d)
    if big is None or small is None:
        return None
    return p, {"P": big.text, "p": small.text, "D": g.dept_ref(d)}, {"P": big, "p": small}


def _amount_plan(op: str, d: Dept, projects: Iterable[Proj] = (), column: str = "total", unit: str = "万元",
                 **more: Any) -> dict[str, Any]:
    return plan(op, "amount", column=column, unit=unit, scope=scope(d, projects), **more)


@form("lookup.amount")
def _lookup_amount(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d)
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, _amount_plan("lookup", d, [p]), expect([(p, None)], [money(p.total)]), [d], mentions)


def _column_fact(g: Generator, d: Dept, op: str, keep: Callable[[Generator, Proj], bool],
                 answer: Callable[[Proj, str], str], unit: str = "万元") -> Fact | None:
    """A question about one funding column (财政拨款 …) of one project."""
    got = _project(g, d, lambda p: keep(g, p))
    if got is None:
        return None
    p, slots, mentions = got
    column = g.pick([c for c in ("fiscal", "special", "other") if p.cents[c]])
    if column is None:
        return None
    slots["COL"] = g.rng.choice(ph.COLUMN_WORDS[column])
    return Fact(slots, _amount_plan(op, d, [p], column=column, unit=unit), expect([(p, None)], [answer(p, column)]),
                [d], mentions)


variant("lookup.column", _column_fact, op="lookup",
        keep=lambda g, p: p.cents["fiscal"] != p.total or g.rng.random() < 0.3,
        answer=lambda p, column: money(p.cents[column] or 0))


@form("lookup.yuan")
def _lookup_yuan(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d)
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, _amount_plan("lookup", d, [p], unit="元"), expect([(p, None)], [yuan(p.total)]), [d], mentions,
                ["unit"])


@form("lookup.goal")
def _lookup_goal(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d)
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, plan("lookup", "goal", scope=scope(d, [p])), expect([(p, None)], [p.goal]), [d], mentions)


def _value_fact(g: Generator, d: Dept, value_field: str) -> Fact | None:
    got = _project(g, d, lambda p: bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    rows = [r for r in p.rows if not any(r.indicator in o.indicator for o in p.rows if o is not r)]
    if value_field == "annual":
        rows = [r for r in rows if r.annual_value]
    r = g.pick(rows)
    if r is None:
        return None
    slots["I"] = r.indicator
    if value_field == "annual":
        values = [r.annual_value]
    elif value_field == "period":
        values = [r.period_value]
    else:
        values = [v for v in (r.period_value, r.annual_value) if v]
    return Fact(slots, plan("lookup", "indicator_value", scope=scope(d, [p]), value_field=value_field or None),
                expect([(p, r.indicator)], values), [d], mentions)


variant("lookup.value", _value_fact, value_field="")
variant("lookup.value_annual", _value_fact, value_field="annual")
variant("lookup.value_period", _value_fact, value_field="period")


@form("lookup.funding")
def _lookup_funding(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d)
    if got is None:
        return None
    p, slots, mentions = got
    contains: list[str] = []
    for column in ("fiscal", "special", "other"):
        if p.cents[column]:
            contains += [ph.COLUMN_LABELS[column], money(p.cents[column] or 0)]
    return Fact(slots, plan("lookup", "funding", scope=scope(d, [p])), expect([(p, None)], contains), [d], mentions)


def _unknown(g: Generator, d: Dept) -> tuple[str, dict[str, str]] | None:
    for _ in range(5):
        name = g.rng.choice(ph.UNKNOWN_TOPICS) + g.rng.choice(ph.UNKNOWN_SUFFIXES)
        if not g.resolves(name[:4], None):
            return name, {"p": name, "D": g.dept_ref(d)}
    return None


@form("lookup.unknown")
def _lookup_unknown(g: Generator, d: Dept) -> Fact | None:
    got = _unknown(g, d)
    if got is None:
        return None
    name, slots = got
    return Fact(slots, plan("lookup", "amount", column="total", scope={**scope(d), "projects": [name]}),
                expect(absent=True), [d], tags=["unknown"])


@form("list.unknown")
def _list_unknown(g: Generator, d: Dept) -> Fact | None:
    got = _unknown(g, d)
    if got is None:
        return None
    name, slots = got
    return Fact(slots, plan("list", "indicators", scope={**scope(d), "projects": [name]}), expect(absent=True), [d],
                tags=["unknown"])


def _recurring(g: Generator, d: Dept) -> tuple[Proj, list[Proj]] | None:
    """A project of this department whose full name other departments use too."""
    pool = [(p, others) for p in d.projects if len(others := g.resolves(p.name, None)) >= 2
            and len({o.department for o in others}) == len(others)]
    return g.pick(pool)


@form("lookup.ambiguous")
def _lookup_ambiguous(g: Generator, d: Dept) -> Fact | None:
    got = _recurring(g, d)
    if got is None or g.rng.random() < 0.5:
        return None
    p, others = got
    return Fact({"p": p.name}, plan("lookup", "amount", column="total", scope={"projects": [p.name]}),
                expect(clarify=True, options=[o.department for o in others]), list(
                    dict.fromkeys(g.dept_of(o) for o in others)), tags=["ambiguous"])


@form("list.ambiguous")
def _list_ambiguous(g: Generator, d: Dept) -> Fact | None:
    got = _recurring(g, d)
    if got is None or g.rng.random() < 0.5:
        return None
    p, others = got
    return Fact({"p": p.name}, plan("list", "indicators", scope={"projects": [p.name]}),
                expect(clarify=True, options=[o.department for o in others]),
                list(dict.fromkeys(g.dept_of(o) for o in others)), tags=["ambiguous"])


@form("lookup.described")
def _lookup_described(g: Generator, d: Dept) -> Fact | None:
    """A word two of the department's project names share: "政府雇员那个项目" fits 工资 and 公用 alike."""
    shared: dict[str, list[Proj]] = defaultdict(list)
    for p in d.projects:
        topic = p.topic
        words = {topic[i:j] for i in range(len(topic)) for j in range(i + 2, min(len(topic), i + 4) + 1)}
        for w in words:
            if not any(x in w for x in _GENERIC):
                shared[w].append(p)
    fits = [(w, ps) for w, ps in shared.items() if len(ps) == 2]
    if not fits:
        return None
    longest = max(len(w) for w, _ in fits)
    word, ps = g.rng.choice([(w, ps) for w, ps in fits if len(w) == longest])
    return Fact({"D": g.dept_ref(d), "word": word}, plan("lookup", "amount", column="total", scope=scope(d)),
                expect(clarify=True, options=[p.name for p in ps]), [d], tags=["ambiguous", "described"])


# -- list ---------------------------------------------------------------------------------------

@form("list.indicators")
def _list_indicators(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and 0 < len(p.rows) <= MAX_LISTED)
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, plan("list", "indicators", scope=scope(d, [p])),
                expect([(p, r.indicator) for r in p.rows], [r.indicator for r in p.rows]), [d], mentions)


def _codes(p: Proj) -> list[str]:
    return sorted({c for r in p.rows for c in (r.level1_code, r.level2_code) if c in ph.CATEGORY_WORDS})


def _category_fact(g: Generator, d: Dept, op: str, measure: str,
                   answer: Callable[[list[Row]], list[str]]) -> Fact | None:
    """A question about one category (one the project has) of one project."""
    got = _project(g, d, lambda p: p.complete and bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    code = g.rng.choice(_codes(p))
    rows = p.in_category(code)
    slots.update(g.category(code))
    return Fact(slots, plan(op, measure, scope=scope(d, [p], category=code)),
                expect([(p, r.indicator) for r in rows], answer(rows)), [d], mentions)


variant("list.category", _category_fact, op="list", measure="indicators",
        answer=lambda rows: [r.indicator for r in rows])


@form("list.absent_category")
def _list_absent_category(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    code = g.pick([c for c in ph.CATEGORY_WORDS if c not in _codes(p)])
    if code is None:
        return None
    slots.update(g.category(code))
    return Fact(slots, plan("list", "indicators", scope=scope(d, [p], category=code)), expect(absent=True), [d],
                mentions, ["absent"], phrasing="list.category")


@form("list.projects")
def _list_projects(g: Generator, d: Dept) -> Fact | None:
    if len(d.projects) > MAX_PROJECTS:
        return None
    return Fact({"D": g.dept_ref(d)}, plan("list", "projects", scope=scope(d)),
                expect([(p, ANY) for p in d.projects], [p.name for p in d.projects]), [d])


@form("list.dept_category")
def _list_dept_category(g: Generator, d: Dept) -> Fact | None:
    if not d.complete:
        return None
    codes = [c for c in ph.CATEGORY_WORDS if 0 < len([r for p in d.projects for r in p.in_category(c)]) <= MAX_LISTED]
    code = g.pick(codes)
    if code is None:
        return None
    cite = [(p, r.indicator) for p in d.projects for r in p.in_category(code)]
    return Fact({"D": g.dept_ref(d), **g.category(code)}, plan("list", "indicators", scope=scope(d, category=code)),
                expect(cite, [i for _, i in cite if i]), [d])


def _rows_where(g: Generator, d: Dept, keep: Callable[[Row], bool], condition: str) -> Fact | None:
    if not d.complete:
        return None
    cite = [(p, r.indicator) for p in d.projects for r in p.rows if keep(r)]
    if not 0 < len(cite) <= MAX_LISTED:
        return None
    return Fact({"D": g.dept_ref(d)}, plan("list", "indicators", scope=scope(d, condition=condition)),
                expect(cite, [i for _, i in cite if i]), [d])


variant("list.empty_annual", _rows_where, keep=lambda r: not r.annual_value, condition="empty_annual")
variant("list.vague", _rows_where, keep=lambda r: vague(r.period_value) or vague(r.annual_value),
        condition="vague")


def _lacking(g: Generator, d: Dept) -> tuple[str, list[Proj]] | None:
    if not d.complete:
        return None
    options = []
    for code in ph.CATEGORY_WORDS:
        lacking = [p for p in d.projects if not p.in_category(code)]
        if 0 < len(lacking) <= MAX_LISTED and len(lacking) < len(d.projects):
            options.append((code, lacking))
    return g.pick(options)


@form("list.lacking")
def _list_lacking(g: Generator, d: Dept) -> Fact | None:
    got = _lacking(g, d)
    if got is None:
        return None
    code, lacking = got
    return Fact({"D": g.dept_ref(d), **g.category(code)},
                plan("list", "projects", scope=scope(d, condition=f"lacks:{code}")),
                expect([(p, ANY) for p in lacking], [p.name for p in lacking]), [d])


@form("list.over")
def _list_over(g: Generator, d: Dept) -> Fact | None:
    got = g.threshold(d)
    if got is None:
        return None
    n, above = got
    return Fact({"D": g.dept_ref(d), "N": str(n)}, plan("list", "projects", scope=scope(d, condition=f"total>{n}")),
                expect([(p, None) for p in above], [p.name for p in above]), [d])


# -- count ----------------------------------------------------------------------------------------

@form("count.projects")
def _count_projects(g: Generator, d: Dept) -> Fact | None:
    return Fact({"D": g.dept_ref(d)}, plan("count", "projects", scope=scope(d)),
                expect(evidence([(p, ANY) for p in d.projects]), [count(len(d.projects))]), [d])


@form("count.indicators")
def _count_indicators(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, plan("count", "indicator_count", scope=scope(d, [p])), expect([(p, ANY)], [count(len(p.rows))]),
                [d], mentions)


variant("count.category", _category_fact, op="count", measure="indicator_count",
        answer=lambda rows: [count(len(rows))])


@form("count.dept_indicators")
def _count_dept_indicators(g: Generator, d: Dept) -> Fact | None:
    if not d.complete:
        return None
    return Fact({"D": g.dept_ref(d)}, plan("count", "indicator_count", scope=scope(d)), expect([], [count(len(d.rows))]),
                [d])


@form("count.with_category")
def _count_with_category(g: Generator, d: Dept) -> Fact | None:
    got = _lacking(g, d)
    if got is None:
        return None
    code, lacking = got
    having = [p for p in d.projects if p not in lacking]
    return Fact({"D": g.dept_ref(d), **g.category(code)},
                plan("count", "projects", scope=scope(d, condition=f"has:{code}")),
                expect(evidence([(p, ANY) for p in having]), [count(len(having))]), [d])


@form("count.over")
def _count_over(g: Generator, d: Dept) -> Fact | None:
    got = g.threshold(d)
    if got is None:
        return None
    n, above = got
    return Fact({"D": g.dept_ref(d), "N": str(n)}, plan("count", "projects", scope=scope(d, condition=f"total>{n}")),
                expect(evidence([(p, None) for p in above]), [count(len(above))]), [d])


# -- sum / average ------------------------------------------------------------------------------

@form("sum.dept")
def _sum_dept(g: Generator, d: Dept) -> Fact | None:
    if not d.reconciled:
        return None
    total = sum(p.total for p in d.projects)
    return Fact({"D": g.dept_ref(d)}, _amount_plan("sum", d), expect(evidence([(p, None) for p in d.projects]),
                                                                     [money(total)]), [d])


@form("sum.pair")
def _sum_pair(g: Generator, d: Dept) -> Fact | None:
    pair = g.two(d, same=g.rng.random() < 0.8)
    if pair is None:
        return None
    a, b = pair
    got = g.pair_slots(d, a, b)
    if got is None:
        return None
    slots, mentions = got
    depts = list(dict.fromkeys([g.dept_of(a), g.dept_of(b)]))
    return Fact(slots, plan("sum", "amount", column="total", unit="万元", scope={"projects": [a.name, b.name]}),
                expect([(a, None), (b, None)], [money(a.total + b.total)]), depts, mentions)


@form("sum.column")
def _sum_column(g: Generator, d: Dept) -> Fact | None:
    if not d.reconciled:
        return None
    column = g.pick([c for c in ("fiscal", "special", "other") if sum(1 for p in d.projects if p.cents[c]) >= 2])
    if column is None:
        return None
    having = [p for p in d.projects if p.cents[column]]
    return Fact({"D": g.dept_ref(d), "COL": g.rng.choice(ph.COLUMN_WORDS[column])}, _amount_plan("sum", d, column=column),
                expect(evidence([(p, None) for p in having]), [money(sum(p.cents[column] or 0 for p in having))]), [d])


@form("sum.yuan")
def _sum_yuan(g: Generator, d: Dept) -> Fact | None:
    if not d.reconciled:
        return None
    return Fact({"D": g.dept_ref(d)}, _amount_plan("sum", d, unit="元"),
                expect([], [yuan(sum(p.total for p in d.projects))]), [d], tags=["unit"])


@form("average.amount")
def _average_amount(g: Generator, d: Dept) -> Fact | None:
    mean = sum(p.total for p in d.projects) / len(d.projects)
    return Fact({"D": g.dept_ref(d)}, _amount_plan("average", d),
                expect(evidence([(p, None) for p in d.projects]), [f"{mean / 100:.2f}"]), [d])


@form("average.count")
def _average_count(g: Generator, d: Dept) -> Fact | None:
    if not d.complete:
        return None
    mean = len(d.rows) / len(d.projects)
    return Fact({"D": g.dept_ref(d)}, plan("average", "indicator_count", scope=scope(d)), expect([], [f"{mean:.2f}"]),
                [d])


# -- max / min / sort / top ---------------------------------------------------------------------

def _extreme(d: Dept, key: Callable[[Proj], float], lowest: bool) -> Proj | None:
    ranked = sorted(d.projects, key=key, reverse=not lowest)
    if len(ranked) < 2 or key(ranked[0]) == key(ranked[1]):
        return None
    return ranked[0]


def _count_key(p: Proj) -> float:
    return float(len(p.rows))


def _total_key(p: Proj) -> float:
    return float(p.total)


def _extreme_amount(g: Generator, d: Dept, lowest: bool) -> Fact | None:
    p = _extreme(d, _total_key, lowest)
    if p is None:
        return None
    return Fact({"D": g.dept_ref(d)}, _amount_plan("min" if lowest else "max", d),
                expect([(p, None)], [p.name, money(p.total)]), [d])


def _extreme_count(g: Generator, d: Dept, lowest: bool) -> Fact | None:
    p = _extreme(d, _count_key, lowest) if d.complete else None
    if p is None:
        return None
    return Fact({"D": g.dept_ref(d)}, plan("min" if lowest else "max", "indicator_count", scope=scope(d)),
                expect([(p, ANY)], [p.name, count(len(p.rows))]), [d])


variant("max.amount", _extreme_amount, lowest=False)
variant("min.amount", _extreme_amount, lowest=True)
variant("max.count", _extreme_count, lowest=False)
variant("min.count", _extreme_count, lowest=True)


@form("max.then_share")
def _max_then_share(g: Generator, d: Dept) -> Fact | None:
    p = _extreme(d, _total_key, lowest=False) if d.reconciled else None
    if p is None:
        return None
    total = sum(q.total for q in d.projects)
    return Fact({"D": g.dept_ref(d)}, _amount_plan("max", d, then=plan("share", "amount", unit="%")),
                expect([(p, None)], [p.name, money(p.total), percent(p.total, total)]), [d], tags=["compound"])


@form("max.count_then_amount")
def _max_count_then_amount(g: Generator, d: Dept) -> Fact | None:
    p = _extreme(d, _count_key, lowest=False) if d.complete else None
    if p is None:
        return None
    return Fact({"D": g.dept_ref(d)}, plan("max", "indicator_count", scope=scope(d),
                                           then=plan("lookup", "amount", column="total", unit="万元")),
                expect([(p, None)], [p.name, money(p.total)]), [d], tags=["compound"])


@form("min.then_count")
def _min_then_count(g: Generator, d: Dept) -> Fact | None:
    p = _extreme(d, _total_key, lowest=True) if d.complete else None
    if p is None:
        return None
    return Fact({"D": g.dept_ref(d)}, _amount_plan("min", d, then=plan("count", "indicator_count")),
                expect([(p, ANY)], [p.name, count(len(p.rows))]), [d], tags=["compound"])


def _sorted_fact(g: Generator, d: Dept, key: Callable[[Proj], float], descending: bool, measure: str) -> Fact | None:
    if not 3 <= len(d.projects) <= MAX_PROJECTS or (measure == "indicator_count" and not d.complete):
        return None
    ranked = sorted(d.projects, key=key, reverse=descending)
    order = groups([(p.name, key(p)) for p in ranked])
    if measure == "amount" and any(len(x) > 1 for x in order):
        return None
    the_plan = plan("sort", measure, order="desc" if descending else "asc", scope=scope(d))
    if measure == "amount":
        the_plan = _amount_plan("sort", d, order="desc" if descending else "asc")
    cite = [(p, None if measure == "amount" else ANY) for p in ranked]
    return Fact({"D": g.dept_ref(d)}, the_plan, expect(cite, [p.name for p in ranked], ordered=order), [d])


variant("sort.amount_desc", _sorted_fact, key=_total_key, descending=True, measure="amount")
variant("sort.amount_asc", _sorted_fact, key=_total_key, descending=False, measure="amount")
variant("sort.count", _sorted_fact, key=_count_key, descending=True, measure="indicator_count")


def _k_word(g: Generator, k: int, english: bool = False) -> str:
    return str(k) if english or g.rng.random() < 0.4 else ph.CHINESE_NUMERALS.get(k, str(k))


def _top(g: Generator, d: Dept, key: Callable[[Proj], float], descending: bool) -> tuple[int, list[Proj]] | None:
    if len(d.projects) < 3:
        return None
    ranked = sorted(d.projects, key=key, reverse=descending)
    k = g.rng.randint(2, min(5, len(ranked) - 1))
    if key(ranked[k - 1]) == key(ranked[k]):
        return None
    return k, ranked[:k]


def _top_fact(g: Generator, d: Dept, key: Callable[[Proj], float], descending: bool, measure: str) -> Fact | None:
    if measure == "indicator_count" and not d.complete:
        return None
    got = _top(g, d, key, descending)
    if got is None:
        return None
    k, chosen = got
    order = groups([(p.name, key(p)) for p in chosen])
    if measure == "amount":
        values = [money(p.total) for p in chosen]
        the_plan = _amount_plan("top", d, k=k, order="desc" if descending else "asc")
    else:
        values = [count(len(p.rows)) for p in chosen]
        the_plan = plan("top", measure, k=k, order="desc", scope=scope(d))
    cite = [(p, None if measure == "amount" else ANY) for p in chosen]
    return Fact({"D": g.dept_ref(d), "K": _k_word(g, k)}, the_plan,
                expect(cite, [p.name for p in chosen] + values, ordered=order), [d])


variant("top.amount", _top_fact, key=_total_key, descending=True, measure="amount")
variant("top.amount_asc", _top_fact, key=_total_key, descending=False, measure="amount")
variant("top.count", _top_fact, key=_count_key, descending=True, measure="indicator_count")


@form("top.then_sum")
def _top_then_sum(g: Generator, d: Dept) -> Fact | None:
    got = _top(g, d, _total_key, True)
    if got is None:
        return None
    k, chosen = got
    return Fact({"D": g.dept_ref(d), "K": _k_word(g, k)},
                _amount_plan("top", d, k=k, order="desc", then=plan("sum", "amount", column="total", unit="万元")),
                expect([(p, None) for p in chosen], [p.name for p in chosen] + [money(sum(p.total for p in chosen))]),
                [d], tags=["compound"])


# -- share / difference / ratio -----------------------------------------------------------------

@form("share.dept")
def _share_dept(g: Generator, d: Dept) -> Fact | None:
    if not d.reconciled or len(d.projects) < 2:
        return None
    got = _project(g, d)
    if got is None:
        return None
    p, slots, mentions = got
    total = sum(q.total for q in d.projects)
    return Fact(slots, _amount_plan("share", d, [p], unit="%"), expect([(p, None)], [percent(p.total, total)]), [d],
                mentions)


variant("share.column", _column_fact, op="share", unit="%", keep=lambda g, p: p.cents["fiscal"] != p.total > 0,
        answer=lambda p, column: percent(p.cents[column] or 0, p.total))


def _pair_fact(g: Generator, d: Dept, op: str, contains: Callable[[Proj, Proj], list[str]],
               measure: str = "amount", unit: str = "万元") -> Fact | None:
    pair = g.two(d, same=g.rng.random() < 0.7)
    if pair is None:
        return None
    a, b = pair
    if measure == "indicator_count":
        if not (a.complete and b.complete) or len(a.rows) == len(b.rows):
            return None
        a, b = (a, b) if len(a.rows) > len(b.rows) else (b, a)
    got = g.pair_slots(d, a, b)
    if got is None:
        return None
    slots, mentions = got
    depts = list(dict.fromkeys([g.dept_of(a), g.dept_of(b)]))
    the_plan = plan(op, measure, scope={"projects": [a.name, b.name]})
    if measure == "amount":
        the_plan = plan(op, measure, column="total", unit=unit, scope={"projects": [a.name, b.name]})
    cite_as = None if measure == "amount" else ANY
    return Fact(slots, the_plan, expect([(a, cite_as), (b, cite_as)], contains(a, b)), depts, mentions)


variant("difference.amount", _pair_fact, op="difference", contains=lambda a, b: [money(a.total - b.total)])
variant("difference.count", _pair_fact, op="difference", measure="indicator_count",
        contains=lambda a, b: [count(len(a.rows) - len(b.rows))])
variant("ratio.amount", _pair_fact, op="ratio", unit="倍", contains=lambda a, b: [ratio(a.total, b.total)])
variant("ratio.percent", _pair_fact, op="ratio", unit="%", contains=lambda a, b: [percent(b.total, a.total)])


# -- yes/no, reverse, search ----------------------------------------------------------------------

@form("all_have.category")
def _all_have(g: Generator, d: Dept) -> Fact | None:
    if not d.complete:
        return None
    if g.rng.random() < 0.4:
        code = g.pick([c for c in ph.CATEGORY_WORDS if all(p.in_category(c) for p in d.projects)])
        lacking: list[Proj] = []
    else:
        got = _lacking(g, d)
        code, lacking = got if got is not None else (None, [])
    if code is None:
        return None
    cite = [(p, ANY) for p in (lacking or d.projects)]
    return Fact({"D": g.dept_ref(d), **g.category(code)},
                plan("all_have", "indicators", scope=scope(d, category=code), answer=not lacking),
                expect(evidence(cite), [p.name for p in lacking]), [d])


def _exists_fact(g: Generator, d: Dept, present: bool) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    codes = _codes(p) if present else [c for c in ph.CATEGORY_WORDS if c not in _codes(p)]
    code = g.pick(codes)
    if code is None:
        return None
    slots.update(g.category(code))
    rows = p.in_category(code)
    the_plan = plan("exists", "indicators", scope=scope(d, [p], category=code))
    if not present:
        return Fact(slots, the_plan, expect(absent=True), [d], mentions, ["absent"], phrasing="exists.category")
    return Fact(slots, the_plan, expect([(p, r.indicator) for r in rows], [r.indicator for r in rows]), [d], mentions)


variant("exists.category", _exists_fact, present=True)
variant("exists.category_absent", _exists_fact, present=False)


@form("exists.indicator")
def _exists_indicator(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    names = {r.indicator for r in p.rows}
    if g.rng.random() < 0.5:
        r = g.rng.choice(p.rows)
        slots["I"] = r.indicator
        return Fact(slots, plan("exists", "indicators", scope=scope(d, [p], indicator=r.indicator)),
                    expect([(p, r.indicator)], [r.indicator]), [d], mentions)
    elsewhere = sorted({r.indicator for q in d.projects for r in q.rows} - names)
    other = g.pick([n for n in elsewhere if not any(n in m or m in n for m in names)])
    if other is None:
        return None
    slots["I"] = other
    return Fact(slots, plan("exists", "indicators", scope=scope(d, [p], indicator=other)), expect(absent=True), [d],
                mentions, ["absent"])


@form("reverse.indicator")
def _reverse(g: Generator, d: Dept) -> Fact | None:
    if not d.complete:
        return None
    owners: dict[str, list[Proj]] = defaultdict(list)
    for p in d.projects:
        for r in p.rows:
            owners[r.indicator].append(p)
    unique = sorted(n for n, ps in owners.items() if len(ps) == 1
                    and not any(n in m for m in owners if m != n))
    name = g.pick(unique)
    if name is None:
        return None
    p = owners[name][0]
    return Fact({"D": g.dept_ref(d), "I": name}, plan("reverse", "projects", scope=scope(d, indicator=name)),
                expect([(p, name)], [p.name]), [d])


@form("search.indicators")
def _search_indicators(g: Generator, d: Dept) -> Fact | None:
    if not d.complete:
        return None
    words = [w for w in _SEARCH_INDICATOR_WORDS
             if 0 < len({r.indicator for r in d.rows if w in r.indicator}) <= 6]
    word = g.pick(words)
    if word is None:
        return None
    cite = [(p, r.indicator) for p in d.projects for r in p.rows if word in r.indicator]
    if len(cite) > MAX_LISTED:
        return None
    return Fact({"D": g.dept_ref(d), "kw": word}, plan("search", "indicators", scope=scope(d), text=word),
                expect(cite, [i for _, i in cite if i]), [d])


@form("search.projects")
def _search_projects(g: Generator, d: Dept) -> Fact | None:
    words = [w for w in _SEARCH_TOPIC_WORDS if 0 < sum(1 for p in d.projects if w in p.name) <= 3]
    word = g.pick(words)
    if word is None:
        return None
    found = [p for p in d.projects if word in p.name]
    return Fact({"D": g.dept_ref(d), "kw": word}, plan("search", "projects", scope=scope(d), text=word),
                expect([(p, ANY) for p in found], [p.name for p in found]), [d])


@form("refuse.offtopic")
def _refuse_offtopic(g: Generator, d: Dept) -> Fact | None:
    return Fact({}, plan("refuse", None), expect(refuse=True), [], tags=["offtopic"])


@form("refuse.outside")
def _refuse_outside(g: Generator, d: Dept) -> Fact | None:
    if g.rng.random() < 0.7:
        return None
    return Fact({}, plan("refuse", None), expect(refuse=True), [], tags=["offtopic", "outside"])


# -- follow-ups: the last question leans on earlier turns ------------------------------------------

@form("lookup.swap_project", followup=True)
def _swap_project(g: Generator, d: Dept) -> Fact | None:
    pair = g.two(d)
    if pair is None:
        return None
    a, b = g.rng.sample(pair, 2)
    first, second = g.mention(a, d), g.scoped(b, d)
    if first is None or second is None:
        return None
    return Fact({"P1": first.text, "p2": second.text}, _amount_plan("lookup", d, [b]),
                expect([(b, None)], [money(b.total)]), [d], {"P1": first, "p2": second})


@form("lookup.pronoun_amount", followup=True)
def _pronoun_amount(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d)
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, _amount_plan("lookup", d, [p], previous=True), expect([(p, None)], [money(p.total)]), [d],
                mentions)


def _nth(g: Generator, d: Dept) -> tuple[int, Proj, str] | None:
    if not 3 <= len(d.projects) <= MAX_PROJECTS:
        return None
    ranked = sorted(d.projects, key=_total_key, reverse=True)
    if len({p.total for p in ranked}) < len(ranked):
        return None
    n = g.rng.choice((2, 3))
    return n, ranked[n - 1], g.rng.choice(ph.ORDINAL_WORDS[n])


@form("lookup.ordinal", followup=True)
def _ordinal(g: Generator, d: Dept) -> Fact | None:
    got = _nth(g, d)
    if got is None:
        return None
    n, p, word = got
    return Fact({"D": g.dept_ref(d), "nth": word}, _amount_plan("lookup", d, [p], previous=True, ordinal=n),
                expect([(p, None)], [money(p.total)]), [d], tags=["ordinal"])


@form("list.swap_category", followup=True)
def _swap_category(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and len(_codes(p)) >= 2)
    if got is None:
        return None
    p, slots, mentions = got
    first, code = g.rng.sample(_codes(p), 2)
    if first[0] == code[0] and (len(first) == 1 or len(code) == 1):
        return None  # "产出指标" then "数量指标呢" narrows rather than swaps; keep swaps clean
    rows = p.in_category(code)
    slots.update(g.category(code))
    slots["C1"] = g.category(first)["C"]
    return Fact(slots, plan("list", "indicators", scope=scope(d, [p], category=code, previous=True)),
                expect([(p, r.indicator) for r in rows], [r.indicator for r in rows]), [d], mentions)


@form("list.ordinal_category", followup=True)
def _ordinal_category(g: Generator, d: Dept) -> Fact | None:
    got = _nth(g, d)
    if got is None or not d.complete:
        return None
    n, p, word = got
    code = g.pick(_codes(p))
    if code is None:
        return None
    rows = p.in_category(code)
    return Fact({"D": g.dept_ref(d), "nth": word, **g.category(code)},
                plan("list", "indicators", scope=scope(d, [p], category=code, previous=True, ordinal=n)),
                expect([(p, r.indicator) for r in rows], [r.indicator for r in rows]), [d], tags=["ordinal"])


@form("count.pronoun", followup=True)
def _count_pronoun(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d, lambda p: p.complete and bool(p.rows))
    if got is None:
        return None
    p, slots, mentions = got
    return Fact(slots, plan("count", "indicator_count", scope=scope(d, [p], previous=True)),
                expect([(p, ANY)], [count(len(p.rows))]), [d], mentions)


@form("count.after_extreme", followup=True)
def _count_after_extreme(g: Generator, d: Dept) -> Fact | None:
    p = _extreme(d, _total_key, lowest=False)
    if p is None or not p.complete:
        return None
    return Fact({"D": g.dept_ref(d)}, plan("count", "indicator_count", scope=scope(d, [p], previous=True)),
                expect([(p, ANY)], [count(len(p.rows))]), [d])


@form("share.after_extreme", followup=True)
def _share_after_extreme(g: Generator, d: Dept) -> Fact | None:
    p = _extreme(d, _total_key, lowest=False) if d.reconciled else None
    if p is None:
        return None
    total = sum(q.total for q in d.projects)
    return Fact({"D": g.dept_ref(d)}, _amount_plan("share", d, [p], unit="%", previous=True),
                expect([(p, None)], [percent(p.total, total)]), [d])


def _subset_fact(g: Generator, d: Dept, op: str, subset: list[Proj], slots: dict[str, str]) -> Fact | None:
    if len(subset) < 2:
        return None
    if op == "sum":
        return Fact(slots, _amount_plan("sum", d, subset, previous=True),
                    expect([(p, None) for p in subset], [money(sum(p.total for p in subset))]), [d])
    p = _extreme(Dept(d.name, d.year, d.source, subset, d.reconciled, d.complete), _total_key, lowest=op == "min")
    if p is None:
        return None
    return Fact(slots, _amount_plan(op, d, subset, previous=True), expect([(p, None)], [p.name, money(p.total)]), [d])


def _over_then(g: Generator, d: Dept, op: str) -> Fact | None:
    """A list of projects over an amount, then an operation on "这几个"."""
    got = g.threshold(d)
    return None if got is None else _subset_fact(g, d, op, got[1], {"D": g.dept_ref(d), "N": str(got[0])})


variant("sum.after_list", _over_then, followup=True, op="sum")


@form("sum.after_lacking", followup=True)
def _sum_after_lacking(g: Generator, d: Dept) -> Fact | None:
    got = _lacking(g, d)
    if got is None:
        return None
    code, lacking = got
    return _subset_fact(g, d, "sum", lacking, {"D": g.dept_ref(d), **g.category(code)})


variant("max.after_over", _over_then, followup=True, op="max")
variant("min.after_over", _over_then, followup=True, op="min")


@form("max.after_projects", followup=True)
def _max_after_projects(g: Generator, d: Dept) -> Fact | None:
    fact = _extreme_amount(g, d, lowest=False)
    if fact is not None:
        fact.plan["scope"]["previous"] = True
    return fact


@form("exists.pronoun", followup=True)
def _exists_pronoun(g: Generator, d: Dept) -> Fact | None:
    fact = _exists_fact(g, d, present=g.rng.random() < 0.6)
    if fact is not None:
        fact.phrasing = ""
        fact.plan["scope"]["previous"] = True
    return fact


@form("refuse.after_topic", followup=True)
def _refuse_after_topic(g: Generator, d: Dept) -> Fact | None:
    got = _project(g, d)
    if got is None:
        return None
    _, slots, mentions = got
    return Fact(slots, plan("refuse", None), expect(refuse=True), [d], mentions, ["offtopic"])


def generate(truth: dict[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    """Gold items for every usable department of a `truth.json`; the same truth and seed give the same items."""
    return Generator(corpus_from_truth(truth), seed).generate()


# -- judging an answer ------------------------------------------------------------------------------

_EXPECTED_NUMBER = re.compile(r"^(-?\d+(?:\.\d+)?)(%|元|个)?$")
_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(%|万元|元|个|条|项)?")
_UNITS = {"条": "个", "项": "个"}
_BOUND = "≥≤<>=≦≧≪≫"
_REF = re.compile(r"\[\d+\]")
_LIST_MARK = re.compile(r"(?m)^\s*\d{1,3}[.、](?!\d)\s*")


def numbers_in(text: str) -> list[tuple[float, str]]:
    """Numbers printed in an answer, each with its unit ("%", "元", "万元", "个" for counts, or "").

    Citation marks ([3]) and list numbers (3.) are not numbers of the answer, and a number after
    ≥/≤ is part of an indicator value, not a count.
    """
    text = _LIST_MARK.sub(" ", _REF.sub(" ", unicodedata.normalize("NFKC", text)))
    out = []
    for m in _NUMBER.finditer(text):
        unit = _UNITS.get(m.group(3) or "", m.group(3) or "")
        before = text[: m.start()].rstrip()[-1:]
        if unit == "个" and before and before in _BOUND:
            unit = ""
        out.append((float(m.group(1).replace(",", "") + (m.group(2) or "")), unit))
    return out


def _same_number(a: float, b: float) -> bool:
    return abs(round(a, 2) - round(b, 2)) <= TOLERANCE


def contains(answer: str, expected: str, numbers: list[tuple[float, str]] | None = None) -> bool:
    """An expected number appears as a number (with the same unit for %, 元 and counts); a name
    appears in normal form."""
    m = _EXPECTED_NUMBER.match(expected)
    if m:
        value, unit = float(m.group(1)), m.group(2) or ""
        found = numbers if numbers is not None else numbers_in(answer)
        return any(_same_number(value, v) and (not unit or u == unit) for v, u in found)
    return for_matching(expected) in for_matching(answer)


def _citation_keys(answer: dict[str, Any]) -> set[tuple[str, str, str]]:
    keys = set()
    for c in answer.get("citations") or []:
        project = for_matching(c.get("project") or "")
        department = for_matching(c.get("department") or "")
        keys.add((project, for_matching(c.get("indicator") or ""), department))
        keys.add((project, ANY, department))
    return keys


def judge(item: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """Why an answer (the `ask --json` object) is wrong for a gold item; [] when it is right.

    Right means: a clarify item gets `clarify` with at least two options; a refuse item gets
    `refused: true`; an absent item gets `found: false`; every expected citation (project, indicator
    or null for the project row, "*" for any row of the project; in its department) is cited and no
    citation comes from a department outside the question's scope; every expected number appears as
    a number (`contains`), every expected name in normal form; a sorted answer keeps the order.
    """
    exp = item["expect"]
    why: list[str] = []
    if exp.get("clarify"):
        options = (answer.get("clarify") or {}).get("options") or []
        if len(options) < 2:
            why.append("应当反问澄清(clarify 至少两个选项)")
        return why
    if exp.get("refuse"):
        if not answer.get("refused"):
            why.append("应当拒答")
        return why
    if answer.get("refused"):
        why.append("不应拒答")
    if exp.get("absent"):
        if answer.get("found"):
            why.append("应当回答“没有”(found=false)")
    elif answer.get("found") is False:
        why.append("不应 found=false")
    cited = _citation_keys(answer)
    departments = exp.get("cite_in") or [""] * len(exp.get("cite", []))
    for (project, indicator), department in zip(exp.get("cite", []), departments, strict=True):
        key = (for_matching(project), indicator if indicator == ANY else for_matching(indicator or ""),
               for_matching(department))
        if not (key in cited if department else any(c[:2] == key[:2] for c in cited)):
            why.append(f"缺少引用 {project}/{indicator or '项目行'}")
    scope_departments = {for_matching(d) for d in _as_list(item.get("department"))}
    outside = sorted({c.get("department") or "" for c in answer.get("citations") or []
                      if scope_departments and for_matching(c.get("department") or "") not in scope_departments})
    if outside:
        why.append(f"引用了问题范围以外的部门:{'、'.join(outside[:3])}")
    text = answer.get("answer") or ""
    numbers = numbers_in(text)
    for s in exp.get("answer_contains", []):
        if not contains(text, s, numbers):
            why.append(f"答案缺少“{s}”")
    if exp.get("ordered") and not why:
        why += _order_problems(text, exp["ordered"])
    return why


def _order_problems(text: str, order: list[list[str]]) -> list[str]:
    norm = for_matching(text)
    positions = [[norm.find(for_matching(name)) for name in group] for group in order]
    for earlier, later, names in zip(positions, positions[1:], order[1:], strict=False):
        if earlier and later and max(earlier) > min(later):
            return [f"顺序不对:“{names[0]}”应排在后面"]
    return []


def plan_key(the_plan: Any) -> tuple[str | None, str | None, str | None]:
    """(op, measure, then.op) of a plan given as a dict (or an object with `to_json`/attributes)."""
    if the_plan is None:
        return (None, None, None)
    if not isinstance(the_plan, dict):
        the_plan = the_plan.to_json() if hasattr(the_plan, "to_json") else vars(the_plan)
    then = the_plan.get("then") or {}
    if not isinstance(then, dict):
        then = then.to_json() if hasattr(then, "to_json") else vars(then)
    return the_plan.get("op"), the_plan.get("measure"), then.get("op")


def plan_matches(gold: dict[str, Any], predicted: Any) -> bool:
    op, measure, then = plan_key(gold)
    p_op, p_measure, p_then = plan_key(predicted)
    return op == p_op and (measure is None or measure == p_measure) and then == p_then


# -- scoring ---------------------------------------------------------------------------------------

def _rate(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def score(items: list[dict[str, Any]], answers: list[dict[str, Any]], failures: int = 20) -> dict[str, Any]:
    """Answer accuracy overall, per operation and per tag, parser accuracy when answers carry a plan,
    and the first `failures` wrong answers."""
    verdicts = [judge(i, a) for i, a in zip(items, answers, strict=True)]
    parser_available = any("plan" in a for a in answers)
    parsed = [plan_matches(i["plan"], a.get("plan")) for i, a in zip(items, answers, strict=True)]
    by_op: dict[str, dict[str, Any]] = {}
    for op in OPS:
        chosen = [n for n, i in enumerate(items) if i["plan"]["op"] == op]
        by_op[op] = {"n": len(chosen), "answer_accuracy": _rate([not verdicts[n] for n in chosen]),
                     "parser_accuracy": _rate([parsed[n] for n in chosen]) if parser_available else None}
    by_tag: dict[str, dict[str, Any]] = {}
    for tag in sorted({t for i in items for t in i["tags"][1:]}):
        chosen = [n for n, i in enumerate(items) if tag in i["tags"][1:]]
        by_tag[tag] = {"n": len(chosen), "answer_accuracy": _rate([not verdicts[n] for n in chosen])}
    by_form: dict[str, dict[str, Any]] = {}
    for name in sorted({i["form"] for i in items}):
        chosen = [n for n, i in enumerate(items) if i["form"] == name]
        by_form[name] = {"n": len(chosen), "answer_accuracy": _rate([not verdicts[n] for n in chosen])}
    wrong = [{"id": i["id"], "question": i["question"], "turns": i["turns"], "form": i["form"], "tags": i["tags"],
              "expected": {"plan": i["plan"], **{k: v for k, v in i["expect"].items() if v not in ([], False)}},
              "got": {"answer": a.get("answer"), "found": a.get("found"), "refused": a.get("refused"),
                      "cited": [f"{c.get('project')}/{c.get('indicator') or '项目行'}" for c in a.get("citations") or []],
                      "plan": a.get("plan"), "clarify": a.get("clarify")},
              "why": v} for i, a, v in zip(items, answers, verdicts, strict=True) if v]
    return {
        "questions": len(items),
        "departments": len({s for i in items for s in _as_list(i.get("source"))}),
        "answer_accuracy": _rate([not v for v in verdicts]),
        "parser": {"available": parser_available, "accuracy": _rate(parsed) if parser_available else None},
        "by_op": by_op, "by_tag": by_tag, "by_form": by_form,
        "wrong": len(wrong), "failures": wrong[:failures],
    }


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ask_all(items: list[dict[str, Any]], assistant: Any, progress: Callable[[int], None] | None = None
            ) -> tuple[list[dict[str, Any]], list[float]]:
    """Every item asked in a conversation of its own (earlier turns replayed); the `ask --json` objects
    and the seconds each took. An exception becomes a wrong answer that says what was raised."""
    answers, seconds = [], []
    for n, item in enumerate(items):
        t = time.perf_counter()
        try:
            got = assistant.converse(list(item.get("turns") or []), item["question"])
            answer = got.to_json(item["id"])
            for key in ("plan", "clarify"):  # carried by the answer even if its JSON forgets them
                if key not in answer and getattr(got, key, None) is not None:
                    answer[key] = _plain(getattr(got, key))
        except Exception as exc:  # recorded as this question's answer, not hidden
            answer = {"id": item["id"], "answer": f"异常: {type(exc).__name__}: {exc}", "found": None,
                      "refused": None, "citations": [], "error": repr(exc)}
        seconds.append(time.perf_counter() - t)
        answers.append(answer)
        if progress is not None:
            progress(n + 1)
    return answers, seconds


def _plain(value: Any) -> Any:
    """A plan or clarification object as JSON-like data."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def build_corpus(departments: int, seed: int, noise: str, folder: Path) -> dict[str, Any]:
    """Write the synthetic tables and truth into `folder`; returns the truth."""
    from ingest import synth

    synth.generate(departments=departments, noise=noise, seed=seed, out=folder)
    return synth.load_truth(folder)


def build_index(folder: Path, home: Path, embedding_cache: Any = None) -> Any:
    """A scratch index (embedded Chroma in `home`) of every table in `folder`."""
    from index.cache import EmbeddingCache
    from index.embedding import model_key
    from index.store import Index
    from settings import Settings

    default = Settings()
    settings = Settings(home=home, collection="questions", chroma_url="", embed_model=default.embed_model)
    if embedding_cache is None:  # the user's own cache: a corpus embedded once stays embedded
        embedding_cache = EmbeddingCache(default.cache_dir / "embeddings.sqlite3", model_key(default.embed_model))
    index = Index(settings, embedding_cache=embedding_cache)
    reports = index.build(sorted(folder.glob("*.txt")))
    errors = [r.error for r in reports if r.status == "error"]
    if errors:
        raise RuntimeError(f"合成语料有 {len(errors)} 个文件导入失败: {errors[:3]}")
    return index


def evaluate(departments: int, seed: int, noise: str = DEFAULT_NOISE, out: Path | None = None,
             failures: int = 20, work: Path | None = None, embedding_cache: Any = None,
             mutate: Callable[[list[dict[str, Any]]], None] | None = None,
             say: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Generate the corpus and its questions, index it in a scratch home, ask the assistant every
    question and score the answers. `mutate` may alter the items before they are asked (tests)."""
    from assistant import Assistant

    scratch = Path(tempfile.mkdtemp(prefix="jixiao-questions-")) if work is None else work
    try:
        t0 = time.perf_counter()
        truth = build_corpus(departments, seed, noise, scratch / "corpus")
        items = generate(truth, seed)
        if mutate is not None:
            mutate(items)
        if out is not None:
            write_items(items, out)
        say(f"{len(items)} questions over {departments} departments; building the index …")
        t1 = time.perf_counter()
        index = build_index(scratch / "corpus", scratch / "home", embedding_cache)
        assistant = Assistant(index)
        assistant.warm()
        t2 = time.perf_counter()
        step = max(1, len(items) // 10)
        answers, seconds = ask_all(items, assistant, lambda n: say(f"  {n}/{len(items)}") if n % step == 0 else None)
        report = score(items, answers, failures)
        ordered = sorted(seconds)
        report.update(seed=seed, noise=noise, corpus_departments=departments,
                      seconds={"generate": round(t1 - t0, 2), "index": round(t2 - t1, 2),
                               "ask": round(sum(seconds), 2),
                               "ask_p50_ms": round(ordered[len(ordered) // 2] * 1000, 1) if ordered else None,
                               "ask_p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 1) if ordered else None})
        return report
    finally:
        if work is None:
            shutil.rmtree(scratch, ignore_errors=True)


def write_items(items: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


def summary(items: list[dict[str, Any]]) -> dict[str, Any]:
    """How many questions of each operation and tag, and how many distinct phrasings per operation."""
    phrasings: dict[str, set[str]] = defaultdict(set)
    for i in items:
        phrasings[i["plan"]["op"]].add(i["phrasing"])
    return {"questions": len(items),
            "departments": len({s for i in items for s in _as_list(i.get("source"))}),
            "by_op": {op: sum(1 for i in items if i["plan"]["op"] == op) for op in OPS},
            "phrasings_by_op": {op: len(phrasings[op]) for op in OPS},
            "by_tag": dict(sorted(Counter(t for i in items for t in i["tags"][1:]).items()))}


# -- the command ---------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `questions` subcommand's options."""
    parser.add_argument("--departments", type=int, default=50, help="合成部门(表格)数,默认 50")
    parser.add_argument("--seed", type=int, default=1, help="随机种子(语料与问题都由它决定),默认 1")
    parser.add_argument("--noise", default=DEFAULT_NOISE, help=f"合成表格的 OCR 噪声级别,默认 {DEFAULT_NOISE}")
    parser.add_argument("--out", type=Path, required=True, help="问题 JSONL 写到这里")
    parser.add_argument("--score", action="store_true", help="建临时索引,用助手回答每个问题并评分")
    parser.add_argument("--failures", type=int, default=20, help="报告中列出的前 N 个错误(默认 20)")
    parser.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")


def _table(rows: dict[str, dict[str, Any]], columns: tuple[str, ...]) -> str:
    head = "| | n | " + " | ".join(columns) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(columns)]
    for name, row in rows.items():
        if not row["n"]:
            continue
        cells = ["—" if row.get(c) is None else f"{row[c]:.3f}" for c in columns]
        lines.append(f"| {name} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main_questions(args: argparse.Namespace) -> int:
    """Generate (and with --score, answer and score) the question bank; print a table or one JSON object."""
    if args.departments < 1:
        print("--departments 至少为 1", file=sys.stderr)
        return 2
    say: Callable[[str], None] = (lambda s: print(s, file=sys.stderr)) if args.json else print
    if not args.score:
        with tempfile.TemporaryDirectory(prefix="jixiao-questions-") as tmp:
            items = generate(build_corpus(args.departments, args.seed, args.noise, Path(tmp)), args.seed)
        write_items(items, args.out)
        result = {**summary(items), "out": str(args.out), "seed": args.seed, "noise": args.noise}
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(f"{result['questions']} questions over {result['departments']} departments → {args.out}")
            for op in OPS:
                print(f"  {op:<11} {result['by_op'][op]:>5} questions, {result['phrasings_by_op'][op]:>3} phrasings")
        return 0
    report = evaluate(args.departments, args.seed, args.noise, args.out, args.failures, say=say)
    report["out"] = str(args.out)
    from settings import Settings

    reports = Settings().reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "questions.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    parser = report["parser"]
    print(f"\n{report['questions']} questions, {report['departments']} departments (seed {report['seed']}, "
          f"noise {report['noise']}): answer accuracy {report['answer_accuracy']:.3f}; parser accuracy "
          + (f"{parser['accuracy']:.3f}" if parser["available"] else "unavailable (answers carry no plan)"))
    print()
    print(_table(report["by_op"], ("answer_accuracy", "parser_accuracy")))
    print()
    print(_table(report["by_tag"], ("answer_accuracy",)))
    print(f"\n{report['wrong']} wrong; the first {len(report['failures'])}:")
    for f in report["failures"]:
        turns = " / ".join(f["turns"])
        print(f"✗ {f['id']} [{f['form']}] {turns + ' → ' if turns else ''}{f['question']}\n"
              f"    why: {'; '.join(f['why'])}\n    got: {(f['got']['answer'] or '')[:160]}")
    print(f"\nreport: {reports / 'questions.json'}; questions: {args.out}")
    return 0
