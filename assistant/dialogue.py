"""The conversation: what the last answer was about, and how a follow-up rewrites its plan.

`DialogueState` holds the last plan, its result set (project and indicator ids, and the listed
items an ordinal counts in) and a pending clarifying question. `resolve` turns a follow-up's own
plan into the plan meant: "这几个一共多少钱" sums the previous result, "它有几个指标" counts the
indicators of the project just answered, "公用经费呢" swaps the project in the last plan,
"第二个呢" picks the second listed row. An option of a clarifying question, sent as the next
message, completes the plan that asked it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assistant import lexicon as lx
from assistant.execute import Result, unstated
from assistant.parse import Cues, Parsed, asks_something
from assistant.plan import Cond, Condition, Measure, Op, Plan, Scope
from assistant.understand import Links, has_any, link
from assistant.vocabulary import Vocabulary, project_key
from ingest.normalize import for_matching
from ingest.records import Indicator, Project

MAX_OPTIONS = 8  # options a clarifying question lists (a table of up to 8 projects: all of them)
# Operations that range over every project unless the question points back at a result.
_GLOBAL = frozenset({Op.SUM, Op.MAX, Op.MIN, Op.SORT, Op.TOP, Op.AVERAGE, Op.MEDIAN, Op.ALL_HAVE, Op.REVERSE})


@dataclass
class Clarify:
    """A clarifying question and the options that answer it (each can be sent back as a message)."""

    question: str
    options: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "options": list(self.options)}


@dataclass
class Pending:
    """A plan waiting for the user to choose which projects it is about."""

    plan: Plan
    choices: dict[str, list[str]]  # option text → project ids


@dataclass
class DialogueState:
    """What a conversation is about: carried from one turn to the next (updated in place)."""

    plan: Plan | None = None  # the last plan answered
    projects: list[str] = field(default_factory=list)  # its result set: project ids
    indicators: list[str] = field(default_factory=list)  # its result set: indicator ids
    items: list[str] = field(default_factory=list)  # what it listed, in order (what "第二个" counts in)
    recent: list[str] = field(default_factory=list)  # single subjects of earlier turns, oldest first ("这两个")
    pending: Pending | None = None  # a clarifying question awaiting an answer

    def reset(self) -> None:
        """Forget the conversation (the app's clear button)."""
        self.plan = None
        self.projects, self.indicators, self.items, self.recent = [], [], [], []
        self.pending = None

    @property
    def active(self) -> bool:
        return self.plan is not None or bool(self.projects)


def option_label(p: Project, several_places: bool) -> str:
    return f"{p.project}({p.department}{p.year}年)" if several_places else p.project


def ask_which(plan: Plan, candidates: list[Project], question: str) -> tuple[Clarify, Pending]:
    """A clarifying question over candidate projects, and the plan it completes."""
    candidates = candidates[:MAX_OPTIONS]
    names = [p.project for p in candidates]
    several_places = len(set(names)) < len(names) or len({(p.department, p.year) for p in candidates}) > 1
    choices: dict[str, list[str]] = {}
    for p in candidates:
        choices.setdefault(option_label(p, several_places), []).append(p.id)
    return Clarify(question, list(choices)), Pending(plan, choices)


def answer_pending(state: DialogueState, message: str, vocab: Vocabulary | None = None) -> Plan | None:
    """The pending plan completed by `message` when it picks one of the options, else None."""
    pending = state.pending
    if pending is None:
        return None
    q = for_matching(message)
    picked = [ids for option, ids in pending.choices.items() if for_matching(option) == q]
    if not picked:
        picked = [ids for option, ids in pending.choices.items()
                  if len(q) >= 2 and (q in for_matching(option) or for_matching(option.split("(")[0]) in q)]
    if not pending.choices and vocab is not None:  # "请说出项目名称": the answer is a project's name
        picked = [[vocab.projects[n].id for n in vocab.by_form.get(q, ())]] if vocab.by_form.get(q) else []
    if len(picked) != 1:
        return None
    state.pending = None
    return _with_projects(pending.plan, picked[0], vocab)


def _with_projects(plan: Plan, ids: list[str], vocab: Vocabulary | None = None) -> Plan:
    scope = replace(plan.scope, project_ids=list(ids), projects=list(plan.scope.projects), previous=False)
    if vocab is not None:
        by_id = vocab.catalog.by_id
        scope.projects = list(dict.fromkeys(p.project for i in ids if isinstance(p := by_id.get(i), Project)))
    return replace(plan, scope=scope)


def _previous(state: DialogueState, v: Vocabulary) -> tuple[list[Project], list[Indicator]]:
    by_id = v.catalog.by_id
    projects = [p for i in state.projects if isinstance(p := by_id.get(i), Project)]
    rows = [r for i in state.indicators if isinstance(r := by_id.get(i), Indicator)]
    return projects, rows


def dangling(parsed: Parsed, state: DialogueState) -> bool:
    """A pointer at one thing ("它") with nothing to point at: no name of its own and no earlier answer.
    ("这些项目" at the start of a conversation is every project in the data, not a pointer at nothing.)"""
    links, c = parsed.links, parsed.cues
    return bool(c.single_ref and not c.plural_ref and not (links.matches or links.departments)
                and not state.projects and not state.indicators)


def resolve(parsed: Parsed, state: DialogueState, v: Vocabulary) -> tuple[Plan, list[Project] | None]:
    """The plan a follow-up means, given the conversation; also the projects a lone "它" could mean
    when the last answer had several (the caller asks which), else None."""
    plan, links, c = parsed.plan, parsed.links, parsed.cues
    own_subject = bool(links.matches or links.departments)
    refers = c.single_ref or c.plural_ref
    if plan.op is Op.REFUSE:
        return plan, None
    waiting = state.pending is not None and bool(state.pending.choices)
    if waiting and not own_subject and (c.elliptical or refers) and plan.op not in _GLOBAL:
        # "质量指标呢" while "which project?" waits: the same options, asked for this question.
        by_id = v.catalog.by_id
        options = [p for ids in state.pending.choices.values() for i in ids if isinstance(p := by_id.get(i), Project)]
        if options:
            return plan, options
    if dangling(parsed, state):
        # "它有几个指标" with nothing it could mean: never every project. While a clarifying question
        # waits, its options are asked again for this question; otherwise which project is asked.
        by_id = v.catalog.by_id
        waiting = [p for ids in (state.pending.choices.values() if state.pending else ()) for i in ids
                   if isinstance(p := by_id.get(i), Project)]
        return plan, waiting or (v.projects if len(v.projects) <= MAX_OPTIONS else [])
    if not state.active:
        return plan, None
    previous, rows = _previous(state, v)

    if links.ordinal is not None and (state.items or previous) and not own_subject:
        picks = [x for n in links.ordinals if (x := _ordinal(n, state, previous, v)) is not None]
        if len(picks) > 1 and all(isinstance(x, Indicator) for x in picks):  # "第二个和第三个呢"
            owners = list({v.project_for(x).id: v.project_for(x) for x in picks}.values())
            return Plan(Op.LOOKUP, Measure.INDICATOR_VALUE,
                        Scope(projects=[p.project for p in owners], project_ids=[p.id for p in owners],
                              indicators=list(dict.fromkeys(x.indicator for x in picks)),
                              indicator_ids=[x.id for x in picks]), value_field=plan.value_field, confidence=0.8), None
        if picks:
            return _about_item(plan, links, c, picks[0], state, v), None

    term = unstated(rows, links.cue_text) if rows and not own_subject else ""
    if term:  # "那合同金额是多少" after "费用标准是多少": the amount those values refer to
        keep = [r for r in rows if term in for_matching(f"{r.period_value}{r.annual_value}")]
        owners = list({v.project_for(r).id: v.project_for(r) for r in keep}.values())
        return Plan(Op.LOOKUP, Measure.INDICATOR_VALUE,
                    Scope(projects=[p.project for p in owners], project_ids=[p.id for p in owners],
                          indicators=list(dict.fromkeys(r.indicator for r in keep)), indicator_ids=[r.id for r in keep],
                          previous=True), confidence=0.7), None
    if c.count == "items" and not own_subject and (rows or previous):
        # "一共几个": the rows (or else the projects) the last answer listed
        if rows:
            owners = list({v.project_for(r).id: v.project_for(r) for r in rows}.values())
            scope = Scope(projects=list(dict.fromkeys(p.project for p in owners)), project_ids=[p.id for p in owners],
                          indicator_ids=[r.id for r in rows], previous=True)
            return Plan(Op.COUNT, Measure.INDICATORS, scope, confidence=0.8), None
        return Plan(Op.COUNT, Measure.PROJECTS, Scope(project_ids=[p.id for p in previous], previous=True),
                    confidence=0.8), None

    generic = c.value and not (c.amount or c.funding or c.goal or c.quantity or c.indicator_word or links.has_category
                               or links.mentions or c.ops or c.conditions) and has_any(links.text, (*lx.FOLLOWUP, "又"))
    if own_subject and (not asks_something(links, c) or generic) and state.plan is not None:
        # "公用经费呢": the last question, about another project.
        named = links.projects
        here = [p for p in named if (p.department, p.year) in {(q.department, q.year) for q in previous}]
        if not here and previous and not links.departments:
            # "那办场地的呢": looked for again among the projects of the department being talked about
            again = link(links.question, v, within=sorted({p.department for p in previous}))
            here = [p for p in again.projects if (p.department, p.year) in {(q.department, q.year) for q in previous}]
        # "乡村振兴帮扶呢" after a project of 天河区卫生健康局: that department's, if it has one.
        ids = [p.id for p in (here or named)] or [p.id for d in links.departments for p in v.of_department.get(d, [])]
        last = state.plan
        new = _with_projects(last, ids, vocab=v)
        if links.departments and not links.matches:
            new = replace(new, scope=replace(new.scope, project_ids=[], projects=[], departments=list(links.departments)))
        if last.scope.indicators:
            names = {for_matching(n) for n in last.scope.indicators}
            mine = [i for p in links.projects for i in v.indicators_of(p) if for_matching(i.indicator) in names]
            new.scope.indicator_ids = [i.id for i in mine]
            if not mine:
                new = replace(new, op=Op.LOOKUP, measure=Measure.INDICATORS,
                              scope=replace(new.scope, indicators=[], indicator_ids=[]))
        elif last.scope.indicator_ids or last.scope.previous:
            new.scope.indicator_ids = []
            new.scope.previous = False
        new.scope.conditions = [cd for cd in new.scope.conditions if cd.kind not in (Cond.HAS_CATEGORY, Cond.LACKS_CATEGORY)]
        new.confidence = min(plan.confidence, 0.8)
        return new, None

    if own_subject or (not previous and not rows):
        return plan, None
    last = state.plan
    if has_any(links.text, lx.OTHERS) and last is not None and last.scope.has_category and not links.has_category:
        # "办公场地的质量指标 / 其他项目有吗": which projects have that category
        codes = [*last.scope.level2, *last.scope.level1]
        scope = Scope(level1=list(last.scope.level1), level2=list(last.scope.level2),
                      conditions=[Condition(Cond.HAS_CATEGORY, code) for code in codes])
        return Plan(Op.LIST, Measure.PROJECTS, scope, confidence=0.7), None
    if c.wanted and len(previous) < c.wanted and len(state.recent) >= c.wanted:
        # "信创…预算 / 办公场地的呢 / 两个加起来多少": the last subjects talked about, one per turn
        by_id = v.catalog.by_id
        previous = [p for i in state.recent[-c.wanted:] if isinstance(p := by_id.get(i), Project)]
    # Conditions range over everything unless the question is elliptical ("哪些没填年度值" after a project).
    elliptical_condition = bool(plan.scope.conditions) and "指标" not in links.text and "项目" not in links.text
    # "占全部的百分之几": 全部 is the share's denominator, not the scope.
    across = c.across and plan.op is not Op.SHARE
    is_global = plan.op in _GLOBAL or (plan.measure is Measure.PROJECTS) or across or bool(
        [cd for cd in plan.scope.conditions if cd.kind not in (Cond.HAS_CATEGORY,)] and not elliptical_condition)
    if is_global and not refers:
        # "海珠区教育局有哪些项目 / 哪个预算最多": the department talked about stays in scope.
        if last is not None and last.scope.departments and not plan.scope.departments \
                and not has_any(links.text, lx.EVERYWHERE):
            return plan.with_scope(departments=list(last.scope.departments)), None
        return plan, None
    if plan.op is Op.SEARCH and not (refers or c.elliptical):
        return plan, None
    if c.single_ref and not c.plural_ref and len(previous) > 1 and plan.op not in _GLOBAL:
        return plan, previous
    new = replace(plan, scope=replace(plan.scope))
    s = new.scope
    s.previous = True
    s.project_ids = [p.id for p in previous]
    s.projects = list(dict.fromkeys(p.project for p in previous))
    s.conditions = [cd for cd in s.conditions if cd.kind not in (Cond.HAS_CATEGORY, Cond.LACKS_CATEGORY)]
    if plan.op is Op.REVERSE:
        new.op = Op.LOOKUP
    if links.mentions:
        mine = [m for m in links.mentions if project_key(m) in {project_key(p) for p in previous}]
        s.indicator_ids = [m.id for m in (mine or links.mentions)]
        if mine:
            new.measure = Measure.INDICATOR_VALUE if new.measure is not Measure.INDICATORS else new.measure
    elif (new.measure is Measure.INDICATOR_VALUE and not s.has_category and rows and not c.quantity
          and not c.indicator_word):
        # "标准是多少": the values of the rows just shown.
        keep = {project_key(p) for p in previous}
        s.indicator_ids = [r.id for r in rows if project_key(r) in keep]
    last = state.plan
    if last is not None and not s.has_category and new.measure in (Measure.INDICATORS, Measure.INDICATOR_VALUE) \
            and not c.all_indicators and not s.indicator_ids and not c.indicator_word and last.scope.has_category:
        s.level1, s.level2 = list(last.scope.level1), list(last.scope.level2)
    if new.op is Op.LIST and new.measure is Measure.INDICATORS and not s.conditions:
        new.op = Op.LOOKUP
    return new, None


def _ordinal(n: int, state: DialogueState, previous: list[Project], v: Vocabulary) -> Indicator | Project | None:
    """The n-th item of the last list when it was about the project(s) being talked about; otherwise
    the n-th indicator of that project, in table order."""
    by_id = v.catalog.by_id
    current = {project_key(p) for p in previous}
    items = [x for i in state.items if (x := by_id.get(i)) is not None]
    listed = [x for x in items if isinstance(x, Project) or project_key(x) in current] if current else items
    pool: list[Indicator | Project] = listed or [i for p in previous for i in v.indicators_of(p)]
    k = n - 1 if n > 0 else n
    if not -len(pool) <= k < len(pool):
        return None
    return pool[k]


def _about_item(plan: Plan, links: Links, c: Cues, item: Indicator | Project, state: DialogueState,
                v: Vocabulary) -> Plan:
    if isinstance(item, Indicator):
        p = v.project_for(item)
        if c.amount or c.goal or c.funding:
            return replace(plan, op=Op.LOOKUP, scope=Scope(projects=[p.project], project_ids=[p.id]))
        return Plan(Op.LOOKUP, Measure.INDICATOR_VALUE,
                    Scope(projects=[p.project], project_ids=[p.id], indicators=[item.indicator], indicator_ids=[item.id]),
                    value_field=plan.value_field, confidence=0.8)
    scope = Scope(projects=[item.project], project_ids=[item.id], level1=list(plan.scope.level1),
                  level2=list(plan.scope.level2))
    if asks_something(links, c):
        return replace(plan, op=Op.LOOKUP if plan.op in (Op.LIST, Op.SEARCH) else plan.op, scope=scope)
    last = state.plan
    measure = last.measure if last is not None and last.measure is not Measure.PROJECTS else Measure.INDICATORS
    if last is not None and last.scope.has_category and not scope.has_category:
        scope.level1, scope.level2 = list(last.scope.level1), list(last.scope.level2)
    return Plan(Op.LOOKUP, measure, scope, column=last.column if last else "total", confidence=0.8)


def remember(state: DialogueState, plan: Plan, result: Result | None) -> None:
    """Carry what this turn was about into the next one."""
    if plan.op is Op.REFUSE:
        return
    last = result
    while last is not None and last.then is not None:
        last = last.then
    state.plan = plan if last is None else last.plan
    if last is None:
        return
    projects = [p.id for p in last.projects] or list(last.plan.scope.project_ids)
    if not projects and last.rows:
        projects = []
    state.projects = list(dict.fromkeys(projects)) or state.projects
    if len(state.projects) == 1 and (not state.recent or state.recent[-1] != state.projects[0]):
        state.recent = [*[i for i in state.recent if i != state.projects[0]], state.projects[0]][-10:]
    state.indicators = [r.id for r in last.rows]
    if last.rows:
        state.items = [r.id for r in last.rows]
    elif last.groups and any(rows for _, rows in last.groups):
        state.items = [r.id for _, rows in last.groups for r in rows]
    elif len(last.projects) > 1:
        state.items = [p.id for p in last.projects]  # a list of projects: "第二个" is a project
    else:
        state.items = []
