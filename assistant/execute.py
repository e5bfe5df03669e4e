"""The executor: a plan over the catalog's rows → a typed Result. Every number is computed here.

Operations live in `OPERATIONS`, one function per `Op`, each reading the rows the plan's scope
selects (`select`) and returning the rows it used. Amounts are 万元 in the store; the unit asked
for is applied when the answer is written. Retrieval runs only where the plan leaves a choice
to meaning (which indicator a value question is about, which rows a search finds).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from assistant import lexicon as lx
from assistant.plan import INDICATOR_CONDITIONS, Cond, Measure, Op, Plan
from assistant.predicates import PROJECT_CONDITIONS, ROW_CONDITIONS
from assistant.retrieve import Filters, Hit, search
from assistant.vocabulary import ProjectKey, Vocabulary, project_key
from index.store import DocumentInfo, Index
from ingest.normalize import for_matching
from ingest.records import Indicator, Project, Record

MAX_PROJECTS = 8  # per-project answers for at most this many projects


@dataclass
class Selection:
    """The rows a scope selects."""

    projects: list[Project]
    rows: list[Indicator]
    problem: str = ""  # unknown_project | no_year | empty
    detail: str = ""
    considered: int = 0  # projects in scope before the project conditions


@dataclass
class Result:
    """What an operation computed, with the rows it used (the answer cites them)."""

    plan: Plan
    projects: list[Project] = field(default_factory=list)  # the result set: projects the answer is about
    rows: list[Indicator] = field(default_factory=list)  # the result set: indicator rows
    groups: list[tuple[Project, list[Indicator]]] = field(default_factory=list)  # rows per project
    values: list[tuple[Project, float]] = field(default_factory=list)  # per-project numbers (万元 or counts)
    number: float | None = None  # the derived number
    terms: list[float] = field(default_factory=list)  # the numbers it was derived from, in order
    scope_size: int = 0  # projects the operation ranged over
    found: bool = True
    problem: str = ""
    detail: str = ""
    documents: list[tuple[DocumentInfo, float]] = field(default_factory=list)  # 合计 vs the sum of its projects
    duplicates: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (department, year) → sources
    hits: list[Record] = field(default_factory=list)  # search results
    by_source: list[tuple[str, float, float]] = field(default_factory=list)  # share per document: (source, part, whole)
    tables: list[tuple[str, float, list[Project]]] = field(default_factory=list)  # per document: (source, value, rows)
    lacking: list[Project] = field(default_factory=list)  # all_have: projects without
    unread: list[tuple[Project, list[int]]] = field(default_factory=list)  # items a table lists but OCR lost
    listed: dict[str, float] = field(default_factory=dict)  # per document: its projects' sum, where its 合计 differs
    parts: list[str] = field(default_factory=list)  # quantities a text states ("8套", "1台"), as added
    then: Result | None = None


@dataclass
class Context:
    vocab: Vocabulary
    index: Index
    timings: dict[str, float]
    topic: str = ""  # what the question is about beyond its names (for choosing rows by meaning)
    question: str = ""  # the question's normal form (for the unit it asks in: "几名")
    previous_projects: list[Project] = field(default_factory=list)
    previous_rows: list[Indicator] = field(default_factory=list)


# -- scope ------------------------------------------------------------------------------------------------
def _in_category(i: Indicator, level1: list[str], level2: list[str]) -> bool:
    if not level1 and not level2:
        return True
    return i.level2_code in level2 or i.level1_code in level1 or (i.level2_code == "" and i.level1_code in
                                                                     {c[0] for c in level2 if c.startswith("4")})


def select(plan: Plan, ctx: Context) -> Selection:
    """The projects and indicator rows a plan's scope selects, conditions applied."""
    v, s = ctx.vocab, plan.scope
    by_id = v.catalog.by_id
    if s.project_ids:
        projects = [p for i in s.project_ids if isinstance(p := by_id.get(i), Project)]
    elif s.projects:
        projects = v.named({for_matching(n) for n in s.projects})
        if not projects:
            return Selection([], [], "unknown_project", s.projects[0])
    elif s.previous and ctx.previous_projects:
        projects = list(ctx.previous_projects)
    elif s.departments:  # a department's projects are one lookup away, not a scan of every project
        projects = [p for d in dict.fromkeys(s.departments) for p in v.of_department.get(d, [])]
    else:
        projects = list(v.projects)
    exact = bool(s.project_ids)  # rows linked one by one (each name to its own department and year)
    if s.departments and not exact:
        projects = [p for p in projects if p.department in s.departments]
    if s.years:
        in_year = [p for p in projects if p.year in s.years]
        if not in_year and projects:
            years = sorted({p.year for p in projects if p.year})
            return Selection([], [], "no_year", "、".join(f"{y}年" for y in years))
        projects = projects if exact else in_year
    considered = len(projects)
    for cond in s.conditions:
        if cond.kind in PROJECT_CONDITIONS:
            test = PROJECT_CONDITIONS[cond.kind][0]
            projects = [p for p in projects if test(p, v.indicators_of(p), cond)]
    if s.indicator_ids:
        keep = {project_key(p) for p in projects} if (s.project_ids or s.projects or s.departments) else None
        rows = [r for i in s.indicator_ids if isinstance(r := by_id.get(i), Indicator)
                and (keep is None or project_key(r) in keep)]
    elif s.previous and ctx.previous_rows and not s.project_ids:
        rows = list(ctx.previous_rows)
    else:
        names = {for_matching(n) for n in s.indicators}
        if names and not (s.project_ids or s.projects or s.departments or s.years):
            rows = [r for n in names for r in v.by_name.get(n, [])]
        else:
            rows = [i for p in projects for i in v.indicators_of(p)]
            if names:
                rows = [i for i in rows if for_matching(i.indicator) in names]
    rows = [i for i in rows if _in_category(i, s.level1, s.level2)]
    for cond in s.conditions:
        if cond.kind in INDICATOR_CONDITIONS:
            test = ROW_CONDITIONS[cond.kind][0]
            rows = [i for i in rows if test(i, cond)]
    return Selection(projects, rows, considered=considered)


def duplicates(projects: list[Project]) -> dict[tuple[str, int], list[str]]:
    """(department, year) pairs whose projects come from more than one document."""
    sources: dict[tuple[str, int], set[str]] = defaultdict(set)
    for p in projects:
        sources[(p.department, p.year)].add(p.source)
    return {k: sorted(v) for k, v in sources.items() if len(v) > 1}


def amount_of(p: Project, column: str) -> float | None:
    return getattr(p, column)


def _numbers(plan: Plan, projects: list[Project], ctx: Context) -> list[tuple[Project, float]]:
    """The per-project number a plan measures: an amount column or an indicator count (the items the
    table lists, when no category narrows them: an item lost to OCR still counts)."""
    if plan.measure is Measure.INDICATOR_COUNT or (plan.measure is Measure.INDICATORS):
        if not plan.scope.has_category:
            return [(p, float(ctx.vocab.listed(p)[0])) for p in projects]
        return [(p, float(len([i for i in ctx.vocab.indicators_of(p)
                               if _in_category(i, plan.scope.level1, plan.scope.level2)]))) for p in projects]
    return [(p, a) for p in projects if (a := amount_of(p, plan.column)) is not None]


def _unread(plan: Plan, projects: list[Project], ctx: Context) -> list[tuple[Project, list[int]]]:
    """Projects whose table lists indicator items no row was read from (a count without a category)."""
    if plan.scope.has_category or plan.scope.conditions or plan.scope.indicators or plan.scope.indicator_ids:
        return []
    return [(p, lost) for p in projects if (lost := ctx.vocab.listed(p)[1])]


def _result(plan: Plan, sel: Selection, **kw: object) -> Result:
    r = Result(plan, scope_size=max(len(sel.projects), sel.considered), duplicates=duplicates(sel.projects))
    for k, value in kw.items():
        setattr(r, k, value)
    return r


# -- operations --------------------------------------------------------------------------------------
def op_lookup(plan: Plan, sel: Selection, ctx: Context) -> Result:
    m = plan.measure
    if m in (Measure.AMOUNT, Measure.FUNDING, Measure.GOAL, Measure.PROJECTS):
        return _result(plan, sel, projects=sel.projects)
    if m is Measure.INDICATOR_COUNT:
        return _result(plan, sel, projects=sel.projects, values=_numbers(plan, sel.projects, ctx),
                       unread=_unread(plan, sel.projects, ctx))
    if m is Measure.INDICATORS:
        by_project: dict[ProjectKey, list[Indicator]] = {}
        for i in sel.rows:  # grouped once: a scan per project costs seconds over 10k projects
            by_project.setdefault(project_key(i), []).append(i)
        groups = [(p, by_project.get(project_key(p), [])) for p in sel.projects]
        found = any(rows for _, rows in groups)
        return _result(plan, sel, projects=sel.projects, groups=groups, rows=sel.rows, found=found)
    return _values(plan, sel, ctx)


def _values(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """Indicator values: the named rows, else the rows in the asked category, else the row of each
    project the question means (by the unit it asks in, then by meaning)."""
    s = plan.scope
    if s.indicators or s.indicator_ids or s.conditions or (s.previous and ctx.previous_rows and not s.project_ids):
        result = _result(plan, sel, rows=sel.rows, projects=_projects_of(sel.rows, ctx), found=bool(sel.rows))
        term = unstated(sel.rows, ctx.question)
        if term:  # "≤合同金额, 那合同金额到底多少": the value refers to an amount the table does not give
            result.found, result.problem, result.detail = False, "unstated", term
        return result
    if s.has_category:
        if not sel.rows:
            groups = [(p, []) for p in sel.projects]
            result = _result(plan, sel, projects=sel.projects, groups=groups, found=False)
            result.plan = replace(plan, measure=Measure.INDICATORS)
            return result
        return _result(plan, sel, rows=sel.rows, projects=_projects_of(sel.rows, ctx))
    named = s.names_projects or (s.previous and ctx.previous_projects)
    if not named:
        hits = search(ctx.index, ctx.topic or "指标值", Filters(departments=s.departments), k=8, timings=ctx.timings)
        near = list({p.id: p for h in hits[:3] if (p := ctx.vocab.project_of.get(project_key(h.record)))}.values())
        stating = [p for p in near if _goal_states_it(p, ctx.vocab.indicators_of(p), ctx)]
        if len(stating) == 1:  # the fact is in a project's goal text
            result = _result(plan, sel, projects=stating)
            result.plan = replace(plan, op=Op.LOOKUP, measure=Measure.GOAL)
            return result
        rows = _same_indicator([h.record for h in hits if isinstance(h.record, Indicator)][:5])
        return _result(plan, sel, rows=rows, projects=_projects_of(rows, ctx), found=bool(rows))
    if len(ctx.topic) < 2 and not any(u in ctx.question for u in lx.VALUE_UNITS):
        # "信创工作经费的年度目标是多少": nothing narrows it to one row; every row's value, not a guess
        rows = [i for p in sel.projects[:MAX_PROJECTS] for i in ctx.vocab.indicators_of(p)]
        return _result(plan, sel, rows=rows, projects=_projects_of(rows, ctx), found=bool(rows))
    chosen: list[Indicator] = []
    goals: list[Project] = []
    for p in sel.projects[:MAX_PROJECTS]:
        rows = ctx.vocab.indicators_of(p)
        pick = _by_unit(rows, ctx.question or ctx.topic)
        if pick is None and _goal_states_it(p, rows, ctx):
            goals.append(p)  # "按区委要求要替换多大比例的终端设备": a fact the goal text states
            continue
        if pick is None and rows:
            hits = search(ctx.index, ctx.topic or p.project, Filters(projects=[p]), k=3, timings=ctx.timings,
                          pool=[p, *rows])
            best = next((h for h in hits if isinstance(h.record, Indicator)), None)
            goal = next((h for h in hits if isinstance(h.record, Project)), None)
            if goal is not None and goal.lexical_rank is not None and (best is None or best.lexical_rank is None):
                goals.append(p)  # only the goal text shares words with the question
                continue
            pick = best.record if best is not None else rows[0]  # type: ignore[assignment]
        if pick is not None:
            chosen.append(pick)
    if goals and not chosen:
        result = _result(plan, sel, projects=goals)
        result.plan = replace(plan, op=Op.LOOKUP, measure=Measure.GOAL)
        return result
    return _result(plan, sel, rows=chosen, projects=_projects_of(chosen, ctx), found=bool(chosen))




GOAL_OVER_ROWS = 1.5  # how many more of the question's character pairs the goal must share than any row
GOAL_MIN_PAIRS = 4


def unstated(rows: list[Indicator], question: str) -> str:
    """A term a value refers to without any number ("≤合同金额"), asked for as a number ("合同金额到底多少")."""
    for r in rows:
        for value in {for_matching(r.period_value), for_matching(r.annual_value)} - {""}:
            if re.search(r"\d", value):
                continue
            terms = {value[i:j] for i in range(len(value)) for j in range(i + 3, len(value) + 1) if value[i:j] in question}
            for term in sorted(terms, key=len, reverse=True):
                if re.search(re.escape(term) + r"(到底|究竟|具体|实际)?(是|有|为)?(多少|几)", question):
                    return term
    return ""


def _pairs(text: str) -> set[str]:
    text = for_matching(text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _goal_states_it(p: Project, rows: list[Indicator], ctx: Context) -> bool:
    """The question's own words fit the project's goal text far better than any of its indicator rows
    (counted in character pairs shared with the question, which do not saturate as BM25 scores do)."""
    if len(ctx.topic) < 4 or not p.goal:
        return False
    asked = _pairs(ctx.topic)
    goal = len(asked & _pairs(p.goal))
    best = max((len(asked & _pairs(f"{i.indicator}{i.period_value}{i.annual_value}")) for i in rows), default=0)
    return goal >= GOAL_MIN_PAIRS and goal >= GOAL_OVER_ROWS * best and goal > best + 1


def _by_unit(rows: list[Indicator], topic: str) -> Indicator | None:
    """"买几台": the one row whose value is counted in 台 (a rate such as 人/年 does not count people); else
    the one row whose name says what is counted ("村组干部一共多少人" → 村组干部230人)."""
    asked = [u for u in lx.VALUE_UNITS if any(f"{w}{u}" in topic for w in ("几", "多少", "几个", "多少个")) or topic.endswith(u)]
    if not asked:
        return None
    unit = max(asked, key=len)
    units = lx.SAME_UNIT.get(unit, (unit,))
    hits = [i for i in rows if any(re.search(rf"{u}(?!/)", f"{i.period_value} {i.annual_value}") for u in units)]
    if len(hits) == 1:
        return hits[0]
    return counted_row(rows, unit) if not hits else None


def _same_indicator(rows: list[Indicator]) -> list[Indicator]:
    """The best row, and the other rows with the same indicator name (the same indicator elsewhere)."""
    if not rows:
        return []
    name = for_matching(rows[0].indicator)
    return [rows[0], *(r for r in rows[1:] if for_matching(r.indicator) == name)]


def _projects_of(rows: list[Indicator], ctx: Context) -> list[Project]:
    return list({p.id: p for r in rows if (p := ctx.vocab.project_of.get(project_key(r))) is not None}.values())


def op_list(plan: Plan, sel: Selection, ctx: Context) -> Result:
    m = plan.measure
    if m is Measure.PROJECTS:
        groups = [(p, [i for i in ctx.vocab.indicators_of(p) if _in_category(i, plan.scope.level1, plan.scope.level2)])
                  for p in sel.projects] if plan.scope.has_category else []
        lacks = [c for c in plan.scope.conditions if c.kind is Cond.LACKS_CATEGORY]
        if not sel.projects and lacks and len(lacks) == len(plan.scope.conditions):
            # "哪个项目没设X" and none lacks it: one row of X from each project, so the "none" can be checked
            codes = {str(c.arg) for c in lacks}
            every = select(replace(plan, scope=replace(plan.scope, conditions=[])), ctx).projects
            firsts = (next((i for i in ctx.vocab.indicators_of(p) if {i.level1_code, i.level2_code} & codes), None)
                      for p in every)
            evidence = [i for i in firsts if i is not None]
            return _result(plan, sel, rows=evidence[:20], found=False)
        return _result(plan, sel, projects=sel.projects, groups=groups, found=bool(sel.projects))
    if m in (Measure.AMOUNT, Measure.FUNDING, Measure.GOAL, Measure.INDICATOR_COUNT):
        return _result(plan, sel, projects=sel.projects, values=_numbers(plan, sel.projects, ctx))
    if plan.scope.previous and not plan.scope.has_category and not plan.scope.conditions and ctx.previous_projects \
            and not ctx.previous_rows:
        sel = replace(sel, rows=[i for p in sel.projects for i in ctx.vocab.indicators_of(p)])
    s = plan.scope
    words = re.sub(lx.DESCRIPTION_FILLER, "", for_matching(ctx.topic))
    if len(words) >= 2 and not (s.has_category or s.conditions or s.indicators or s.indicator_ids or s.names_projects):
        # "哪些指标跟宣传有关": the rows about the topic, not every row
        about = [i for i in sel.rows if words in for_matching(f"{i.indicator}{i.period_value}")]
        sel = replace(sel, rows=about or sel.rows)
    groups = _group(sel.rows, ctx)
    return _result(plan, sel, rows=sel.rows, groups=groups, projects=[p for p, _ in groups], found=bool(sel.rows))


def _group(rows: list[Indicator], ctx: Context) -> list[tuple[Project, list[Indicator]]]:
    out: dict[str, tuple[Project, list[Indicator]]] = {}
    for r in rows:
        p = ctx.vocab.project_of.get(project_key(r))
        if p is not None:
            out.setdefault(p.id, (p, []))[1].append(r)
    return list(out.values())


def op_count(plan: Plan, sel: Selection, ctx: Context) -> Result:
    if plan.measure in (Measure.INDICATORS, Measure.INDICATOR_VALUE, Measure.INDICATOR_COUNT):
        groups = _group(sel.rows, ctx)
        unread = _unread(plan, sel.projects, ctx)
        lost = sum(len(n) for _, n in unread)
        listed = {p.id: float(ctx.vocab.listed(p)[0]) for p, _ in unread}
        return _result(plan, sel, rows=sel.rows, groups=groups, projects=sel.projects, number=float(len(sel.rows) + lost),
                       values=[(p, listed.get(p.id, float(len(rows)))) for p, rows in groups], unread=unread)
    return _result(plan, sel, projects=sel.projects, number=float(len(sel.projects)), found=bool(sel.projects),
                   values=_numbers(replace(plan, measure=Measure.AMOUNT), sel.projects, ctx))


def _documents(plan: Plan, sel: Selection, ctx: Context) -> list[tuple[DocumentInfo, float]]:
    """Each whole document in scope: its printed 合计 beside the sum of its projects."""
    if plan.column != "total" or plan.measure is not Measure.AMOUNT or plan.scope.names_projects \
            or plan.scope.conditions or plan.scope.previous:
        return []
    out = []
    by_source: dict[str, list[Project]] = {}
    for p in sel.projects:
        by_source.setdefault(p.source, []).append(p)
    for doc in ctx.vocab.catalog.documents:
        if doc.grand_total is None:
            continue
        mine = by_source.get(doc.source, [])
        if mine:
            out.append((doc, sum(p.total or 0.0 for p in mine)))
    return out


def printed_total(source: str, ctx: Context) -> float | None:
    """The total a document prints for its department (合计), when it has one."""
    doc = ctx.vocab.catalog.document(source)
    return doc.grand_total if doc is not None else None


def table_values(plan: Plan, projects: list[Project], ctx: Context) -> list[tuple[str, float, list[Project]]]:
    """One number per document: its printed 合计 when the plan asks the whole table's budget (every project of
    it in scope, the total column), else the sum over the projects in scope."""
    tables: dict[str, list[Project]] = {}
    for p in projects:
        tables.setdefault(p.source, []).append(p)
    out = []
    for source, mine in tables.items():
        whole = plan.measure is Measure.AMOUNT and plan.column == "total" and not plan.scope.conditions \
            and not plan.scope.names_projects and len(mine) == len(ctx.vocab.of_source.get(source, ()))
        printed = printed_total(source, ctx) if whole else None
        value = printed if printed is not None else (
            float(len(mine)) if plan.measure is Measure.PROJECTS else sum(v for _, v in _numbers(plan, mine, ctx)))
        out.append((source, round(value, 4), mine))
    return out


def quantities(text: str) -> list[tuple[float, str]]:
    """The counted quantities a text states, in order: "走访企业数≥40家、…≥15个" → [(40, 家), (15, 个)]."""
    return [(float(n), unit) for n, unit in lx.QUANTITY_TOKEN.findall(for_matching(text))]


def _clause(text: str, question: str) -> str:
    """The clause of a text stating two or more quantities that shares most character pairs with the question."""
    clauses = [c for c in re.split(r"[,,。;;]", text) if len(quantities(c)) >= 2]
    pairs = {question[i : i + 2] for i in range(len(question) - 1)}
    return max(clauses, key=lambda c: sum(1 for i in range(len(c) - 1) if c[i : i + 2] in pairs), default="")


def _text_sum(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """"目标里提到的现有设备一共几台", "商会企业党组织加一起": the quantities one goal clause or one value states,
    added; a lookup when the text states fewer than two."""
    if plan.measure is Measure.GOAL:
        for p in sel.projects[:1]:
            clause = _clause(for_matching(p.goal), for_matching(ctx.question or ctx.topic))
            found = quantities(clause)
            if len(found) >= 2:
                return _result(plan, sel, projects=[p], number=sum(n for n, _ in found), terms=[n for n, _ in found],
                               parts=[f"{count_text(n)}{u}" for n, u in found], detail=clause)
        result = op_lookup(replace(plan, op=Op.LOOKUP), sel, ctx)
        return result
    looked = _values(replace(plan, op=Op.LOOKUP), sel, ctx)
    for row in looked.rows:
        found = quantities(row.annual_value or row.period_value)
        if len(found) >= 2:
            return _result(plan, sel, projects=looked.projects, rows=[row], number=sum(n for n, _ in found),
                           terms=[n for n, _ in found], parts=[f"{count_text(n)}{u}" for n, u in found])
    return looked


def count_text(n: float) -> str:
    return str(int(n)) if n == int(n) else f"{n:g}"


def op_sum(plan: Plan, sel: Selection, ctx: Context) -> Result:
    if plan.measure in (Measure.INDICATOR_VALUE, Measure.GOAL):
        return _text_sum(plan, sel, ctx)
    values = _numbers(plan, sel.projects, ctx)
    total = round(sum(v for _, v in values), 4)
    counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)
    return _result(plan, sel, projects=sel.projects, values=values, number=total, terms=[v for _, v in values],
                   documents=_documents(plan, sel, ctx), found=bool(values),
                   unread=_unread(plan, sel.projects, ctx) if counts else [])


def op_average(plan: Plan, sel: Selection, ctx: Context) -> Result:
    values = _numbers(plan, sel.projects, ctx)
    if not values:
        return _result(plan, sel, found=False, problem="no_values")
    mean = statistics.median(v for _, v in values) if plan.op is Op.MEDIAN else sum(v for _, v in values) / len(values)
    counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)
    return _result(plan, sel, projects=sel.projects, values=values, number=mean, terms=[v for _, v in values],
                   unread=_unread(plan, sel.projects, ctx) if counts else [])


def op_extreme(plan: Plan, sel: Selection, ctx: Context) -> Result:
    values = _numbers(plan, sel.projects, ctx)
    if not values:
        return _result(plan, sel, found=False, problem="no_values")
    pick = max if plan.op is Op.MAX else min
    target = pick(v for _, v in values)
    winners = [p for p, v in values if v == target]
    counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)
    return _result(plan, sel, projects=winners, values=values, number=target, scope_size=len(values),
                   unread=_unread(plan, winners, ctx) if counts else [])


def op_sort(plan: Plan, sel: Selection, ctx: Context) -> Result:
    if plan.position and sel.projects:  # "扶贫工作经费预算排第几": the ranking of its whole table
        ranked = _numbers(plan, _whole(sel.projects, ctx), ctx)
        ranked.sort(key=lambda t: t[1], reverse=plan.order == "desc")
        return _result(plan, sel, projects=sel.projects, values=ranked, scope_size=len(ranked))
    values = _numbers(plan, sel.projects, ctx)
    values.sort(key=lambda t: t[1], reverse=plan.order == "desc")
    if plan.op is Op.TOP:
        k = plan.k or 3
        cut = values[k - 1][1] if len(values) >= k else None
        values = [t for t in values if cut is None or (t[1] >= cut if plan.order == "desc" else t[1] <= cut)]
    return _result(plan, sel, projects=[p for p, _ in values], values=values, scope_size=len(sel.projects),
                   found=bool(values))


def _whole(part: list[Project], ctx: Context) -> list[Project]:
    """What a share is of: every project of the documents the part comes from."""
    return [p for source in dict.fromkeys(p.source for p in part) for p in ctx.vocab.of_source.get(source, [])]


def op_share(plan: Plan, sel: Selection, ctx: Context) -> Result:
    named = plan.scope.names_projects or plan.scope.previous or bool(plan.scope.conditions)
    part = sel.projects if named else []
    if not part:
        return _result(plan, sel, found=False, problem="need_part")
    if plan.group == "project":  # a funding column's share of the project's own total
        p = part[0]
        a, b = amount_of(p, plan.column) or 0.0, p.total or 0.0
        if not b:
            return _result(plan, sel, found=False, problem="zero_whole")
        return _result(plan, sel, projects=[p], values=[(p, a)], number=a / b * 100, terms=[a, b],
                       by_source=[("", a, b)])
    whole = _whole(part, ctx)
    values = [(p, amount_of(p, plan.column) or 0.0) for p in part]
    by_source = []
    listed: dict[str, float] = {}
    for source in dict.fromkeys(p.source for p in part):  # one share per document: copies are not added up
        a = sum(v for p, v in values if p.source == source)
        b = sum(amount_of(p, plan.column) or 0.0 for p in whole if p.source == source)
        printed = printed_total(source, ctx) if plan.column == "total" else None
        if printed is not None and abs(printed - b) >= 0.005:  # the table's 合计 is the department's budget
            listed[source], b = b, printed
        if b:
            by_source.append((source, a, b))
    if not by_source:
        return _result(plan, sel, found=False, problem="zero_whole")
    dup = duplicates(whole)
    if not dup:  # projects of several documents, each a table of its own: one share of their sum
        a, b = sum(x[1] for x in by_source), sum(x[2] for x in by_source)
        by_source = [("", a, b)]
    _, a, b = by_source[0]
    return _result(plan, sel, projects=part, values=values, number=a / b * 100, terms=[a, b], duplicates=dup,
                   by_source=by_source, listed=listed)


def op_pair(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """difference and ratio: the first project against the second, in the order the question names them;
    or the projects in scope against `versus` (a department's whole table)."""
    if plan.versus is not None:
        return _versus(plan, sel, ctx)
    order = {n: k for k, n in enumerate(plan.scope.projects)}
    projects = sorted(sel.projects, key=lambda p: order.get(p.project, len(order)))
    if plan.measure is Measure.INDICATOR_VALUE:
        return _value_pair(plan, sel, projects, ctx)
    values = _numbers(plan, projects, ctx)
    if len(values) != 2:
        return _result(plan, sel, projects=projects, values=values, found=False, problem="need_two",
                       detail=str(len(values)))
    (_, a), (_, b) = values
    if plan.op is Op.RATIO:
        if b == 0:
            return _result(plan, sel, projects=projects, values=values, found=False, problem="zero_whole")
        return _result(plan, sel, projects=projects, values=values, number=a / b, terms=[a, b])
    return _result(plan, sel, projects=projects, values=values, number=a - b, terms=[a, b])


def _versus(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """Named projects against another department's whole table (its printed 合计 when it has one), in the
    order the question says them: `plan.scope` is the first operand, `plan.versus` the second."""
    assert plan.versus is not None
    sides = [(plan, sel), (plan.versus, select(plan.versus, ctx))]
    projects: list[Project] = []
    tables: list[tuple[str, float, list[Project]]] = []
    terms: list[float] = []
    for side, chosen in sides:
        if side.scope.names_projects:
            projects += chosen.projects
            terms.append(sum(v for _, v in _numbers(plan, chosen.projects, ctx)))
        else:
            mine = table_values(replace(side, measure=Measure.AMOUNT, column=plan.column), chosen.projects, ctx)
            tables += mine
            terms.append(sum(t[1] for t in mine))
    if not projects or not tables:
        return _result(plan, sel, found=False, problem="need_two", detail=str(len(projects) + len(tables)))
    a, b = terms
    if plan.op is Op.RATIO and b == 0:
        return _result(plan, sel, found=False, problem="zero_whole")
    result = _result(plan, sel, projects=projects, values=_numbers(plan, projects, ctx), terms=terms, tables=tables,
                     number=a / b if plan.op is Op.RATIO else a - b)
    result.detail = "" if plan.scope.names_projects else "table_first"
    return result


_NUMBER_IN = re.compile(r"(\d+(?:\.\d+)?)\s*(%|[^\d\s,,;;、。]{0,2})")


def value_number(i: Indicator) -> tuple[float, str] | None:
    """The number an indicator's target states, with its unit: ≥95% → (95, "%")."""
    if i.number is not None:
        return i.number, i.unit
    text = for_matching(i.annual_value or i.period_value)
    found = _NUMBER_IN.findall(text)
    if len(found) != 1:
        return None
    return float(found[0][0]), found[0][1]


def _value_pair(plan: Plan, sel: Selection, projects: list[Project], ctx: Context) -> Result:
    """Two projects' targets for the same kind of indicator ("满意度目标高几个百分点"): one row each, one number each."""
    rows: list[Indicator] = []
    for p in projects:
        mine = [i for i in sel.rows if project_key(i) == project_key(p)]
        if len(mine) != 1 or value_number(mine[0]) is None:
            return _result(plan, sel, projects=projects, rows=[i for i in sel.rows], found=False, problem="need_two",
                           detail=str(len(rows)))
        rows.append(mine[0])
    if len(rows) != 2:
        return _result(plan, sel, projects=projects, found=False, problem="need_two", detail=str(len(rows)))
    (a, ua), (b, ub) = value_number(rows[0]), value_number(rows[1])  # type: ignore[misc]
    if ua != ub or (plan.op is Op.RATIO and b == 0):
        return _result(plan, sel, projects=projects, rows=rows, found=False, problem="units_differ")
    number = a / b if plan.op is Op.RATIO else a - b
    return _result(plan, sel, projects=projects, rows=rows, number=number, terms=[a, b],
                   values=[(projects[0], a), (projects[1], b)])


def counted_row(rows: list[Indicator], per: str) -> Indicator | None:
    """The row that counts what a per-unit question divides by: its name says it ("行政村数量", "村组干部230人"),
    else its value is counted in that unit ("2台"); rates ("人/年") and percentages do not count."""
    units = lx.SAME_UNIT.get(per, (per,))

    def value(i: Indicator) -> str:
        return for_matching(i.annual_value or i.period_value)

    countable = [i for i in rows if (n := value_number(i)) is not None and "/" not in value(i) and n[1] != "%"]
    by_name = [i for i in countable if per in for_matching(i.indicator)]
    by_unit = [i for i in countable if any(re.search(rf"\d\s*{u}(?!/)", value(i)) for u in units)]
    for group in (by_name, by_unit):
        if len(group) == 1 or (group and len({i.indicator for i in group}) == 1):
            return group[0]
    return None


def op_per_unit(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """A project's amount ÷ the quantity it counts in the asked unit ("平均每台", "人均", "每个行政村")."""
    for p in sel.projects[:MAX_PROJECTS]:
        row = counted_row(ctx.vocab.indicators_of(p), plan.per)
        amount = amount_of(p, plan.column)
        count = value_number(row) if row is not None else None
        if row is None or amount is None or not count or not count[0]:
            continue
        return _result(plan, sel, projects=[p], rows=[row], number=amount / count[0], terms=[amount, count[0]])
    return _result(plan, sel, projects=sel.projects, found=False, problem="no_count", detail=plan.per)


def op_weight(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """Indicator weights (权重/分值): each row's, their sum per project, or the rows weighing most or least."""
    rows = sel.rows
    weighted = [i for i in rows if i.weight is not None]
    projects = _projects_of(rows, ctx) or sel.projects
    if not weighted:
        return _result(plan, sel, projects=projects, rows=rows, found=False, problem="no_weight")
    if plan.op is Op.SUM:
        groups = _group(weighted, ctx)
        values = [(p, float(sum(i.weight or 0.0 for i in mine))) for p, mine in groups]
        return _result(plan, sel, projects=[p for p, _ in groups], rows=weighted, groups=groups, values=values,
                       number=sum(v for _, v in values))
    if plan.op in (Op.MAX, Op.MIN):
        target = (max if plan.op is Op.MAX else min)(i.weight or 0.0 for i in weighted)
        top = [i for i in weighted if i.weight == target]
        return _result(plan, sel, projects=_projects_of(top, ctx), rows=top, number=target,
                       groups=_group(weighted, ctx), scope_size=len(weighted))
    if plan.op is Op.SORT:
        weighted = sorted(weighted, key=lambda i: i.weight or 0.0, reverse=plan.order == "desc")
    return _result(plan, sel, projects=_projects_of(weighted, ctx), rows=weighted, groups=_group(weighted, ctx))


# Conditions a yes/no over every project can test ("所有项目的预算都超过1万元吗"), besides categories.
_TESTED = frozenset({Cond.AMOUNT_GT, Cond.AMOUNT_LT, Cond.USES_COLUMN, Cond.COUNT_GT, Cond.COUNT_LT,
                     Cond.PROJECT_MENTIONS})


def op_all_have(plan: Plan, sel: Selection, ctx: Context) -> Result:
    s = plan.scope
    tested = [c for c in s.conditions if c.kind in _TESTED]
    if tested and not s.has_category:
        # Every project of the scope without the condition, each tested against it.
        base = select(replace(plan, scope=replace(s, conditions=[c for c in s.conditions if c not in tested])), ctx)
        passing = {p.id for p in sel.projects}
        having = [p for p in base.projects if p.id in passing]
        lacking = [p for p in base.projects if p.id not in passing]
        return _result(plan, sel, projects=having, lacking=lacking, number=float(len(lacking)))
    lacking = [p for p in sel.projects if not any(_in_category(i, s.level1, s.level2) for i in ctx.vocab.indicators_of(p))]
    lacking_ids = {p.id for p in lacking}
    having = [p for p in sel.projects if p.id not in lacking_ids]
    evidence = [next(i for i in ctx.vocab.indicators_of(p) if _in_category(i, s.level1, s.level2)) for p in having]
    return _result(plan, sel, projects=having, lacking=lacking, rows=evidence, number=float(len(lacking)))


def op_exists(plan: Plan, sel: Selection, ctx: Context) -> Result:
    if any(c.kind in INDICATOR_CONDITIONS for c in plan.scope.conditions):
        return op_list(plan, sel, ctx)
    if plan.measure is Measure.PROJECTS:
        return _result(plan, sel, projects=sel.projects, found=bool(sel.projects))
    s = plan.scope
    if plan.measure is Measure.INDICATOR_VALUE and not s.has_category:
        return op_lookup(plan, sel, ctx)
    if plan.measure is Measure.INDICATORS and not s.has_category and not (s.indicators or s.indicator_ids) \
            and len(ctx.topic) >= 2 and (s.names_projects or s.previous):
        # "雇员工资按时发有没有指标": the row that is about 按时发, if any
        result = _values(replace(plan, measure=Measure.INDICATOR_VALUE), sel, ctx)
        result.plan = replace(plan, measure=Measure.INDICATOR_VALUE)
        return result
    result = op_lookup(replace(plan, measure=Measure.INDICATORS), sel, ctx)
    result.plan = plan
    if not plan.scope.names_projects and not (plan.scope.previous and ctx.previous_projects):
        result.groups = [(p, rows) for p, rows in result.groups if rows]
    return result


def op_reverse(plan: Plan, sel: Selection, ctx: Context) -> Result:
    if plan.measure is Measure.GOAL:  # the projects whose goal says it
        words = for_matching(ctx.topic)
        projects = [p for p in sel.projects if words and words in for_matching(p.goal)]
        if not projects:
            hits = search(ctx.index, ctx.topic or "绩效目标", Filters(departments=plan.scope.departments, kind="project"),
                          k=3, timings=ctx.timings)
            projects = [h.record for h in hits[:1] if isinstance(h.record, Project)]
        return _result(plan, sel, projects=projects, found=bool(projects))
    rows = sel.rows if (plan.scope.indicators or plan.scope.indicator_ids) else []
    if not rows:
        hits = search(ctx.index, ctx.topic or "指标", Filters(departments=plan.scope.departments, kind="indicator"),
                      k=5, timings=ctx.timings)
        rows = _same_indicator([h.record for h in hits if isinstance(h.record, Indicator)])
    return _result(plan, sel, rows=rows, projects=_projects_of(rows, ctx), found=bool(rows))


def op_search(plan: Plan, sel: Selection, ctx: Context) -> Result:
    s = plan.scope
    projects = sel.projects if s.names_projects else []
    hits: list[Hit] = search(ctx.index, ctx.topic, Filters(projects=projects, departments=s.departments,
                                                           level1=tuple(s.level1), level2=tuple(s.level2)),
                             k=5, timings=ctx.timings)
    records = [h.record for h in hits[:3]]
    rows = [r for r in records if isinstance(r, Indicator)]
    return _result(plan, sel, hits=records, rows=rows, projects=[r for r in records if isinstance(r, Project)],
                   found=bool(records))


def op_grouped(plan: Plan, sel: Selection, ctx: Context) -> Result:
    """The operation over each department's table instead of each project ("哪个部门预算最多")."""
    rows = table_values(plan, sel.projects, ctx)
    tables = {source for source, _, _ in rows}
    if not rows:
        return _result(plan, sel, found=False)
    number: float | None = None
    if plan.op in (Op.MAX, Op.MIN):
        target = (max if plan.op is Op.MAX else min)(v for _, v, _ in rows)
        rows = [t for t in rows if t[1] == target]
        number = target
    elif plan.op in (Op.SORT, Op.TOP):
        rows.sort(key=lambda t: t[1], reverse=plan.order == "desc")
        if plan.op is Op.TOP:
            rows = rows[: plan.k or 3]
    elif plan.op is Op.AVERAGE:
        number = sum(v for _, v, _ in rows) / len(rows)
    elif plan.op in (Op.DIFFERENCE, Op.RATIO):
        order = {d: k for k, d in enumerate(plan.scope.departments)}
        rows.sort(key=lambda t: order.get(t[2][0].department, len(order)))
        if len(rows) != 2 or (plan.op is Op.RATIO and rows[1][1] == 0):
            return _result(plan, sel, found=False, problem="need_two", detail=str(len(rows)))
        number = rows[0][1] - rows[1][1] if plan.op is Op.DIFFERENCE else rows[0][1] / rows[1][1]
    else:
        number = sum(v for _, v, _ in rows)
    result = _result(plan, sel, projects=[p for _, _, ps in rows for p in ps], tables=rows, number=number,
                     terms=[v for _, v, _ in rows])
    result.scope_size = len(tables)
    return result


def op_refuse(plan: Plan, sel: Selection, ctx: Context) -> Result:
    return Result(plan, found=False)


Operation = Callable[[Plan, Selection, Context], Result]
OPERATIONS: dict[Op, Operation] = {
    Op.LOOKUP: op_lookup,
    Op.LIST: op_list,
    Op.COUNT: op_count,
    Op.SUM: op_sum,
    Op.AVERAGE: op_average,
    Op.MEDIAN: op_average,
    Op.MAX: op_extreme,
    Op.MIN: op_extreme,
    Op.SORT: op_sort,
    Op.TOP: op_sort,
    Op.SHARE: op_share,
    Op.DIFFERENCE: op_pair,
    Op.RATIO: op_pair,
    Op.ALL_HAVE: op_all_have,
    Op.EXISTS: op_exists,
    Op.REVERSE: op_reverse,
    Op.PER_UNIT: op_per_unit,
    Op.SEARCH: op_search,
    Op.REFUSE: op_refuse,
}


# Measures whose rows answer every operation in one way of their own (weights are read off indicator rows).
MEASURE_OPERATIONS: dict[Measure, Operation] = {Measure.WEIGHT: op_weight}


def execute(plan: Plan, ctx: Context) -> Result:
    """Run a plan (and the plans chained after it) over the rows."""
    if plan.op is Op.REFUSE:
        return Result(plan, found=False)
    sel = select(plan, ctx)
    if sel.problem:
        return Result(plan, found=False, problem=sel.problem, detail=sel.detail)
    grouped = plan.group == "department"
    if plan.measure in MEASURE_OPERATIONS:
        result = MEASURE_OPERATIONS[plan.measure](plan, sel, ctx)
    else:
        result = op_grouped(plan, sel, ctx) if grouped else OPERATIONS[plan.op](plan, sel, ctx)
    if plan.then is not None and result.found:
        follow = Context(ctx.vocab, ctx.index, ctx.timings, topic=ctx.topic, question=ctx.question,
                         previous_projects=result.projects,
                         previous_rows=result.rows if plan.then.measure in (Measure.INDICATORS, Measure.INDICATOR_VALUE)
                         else [])
        then = plan.then
        if then.scope.previous and result.projects:
            then = then.with_scope(project_ids=[p.id for p in result.projects])
        result.then = execute(then, follow)
    return result
