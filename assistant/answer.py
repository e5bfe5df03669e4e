"""Compose grounded Chinese answers from results. Every fact printed comes from a cited row.

The phrasing lives here, as templates; `write(result)` picks the writer for the result's
operation from `WRITERS`. Derived numbers show their arithmetic ("16.80 ÷ 41.73 = 40.26%").
Amounts are stored in 万元 and printed in the unit asked for (万元 with two decimals, 元 as an
integer when whole).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rapidfuzz import fuzz, process

from assistant.execute import Result, value_number
from assistant.plan import Cond, Measure, Op, Plan
from assistant.predicates import PROJECT_CONDITIONS, ROW_CONDITIONS
from assistant.vocabulary import Vocabulary
from ingest.records import Indicator, Project, Record
from ingest.taxonomy import BY_CODE, LEVEL1

UNIT = "万元"
MAX_LIST = 20  # lines a list answer shows (and cites); the 指标浏览 tab has the rest
MAX_PROJECTS = 8
T_MORE = "(共{total}项,以上列出前{shown}项;完整清单请在“指标浏览”中按条件筛选或导出。)"
T_REFUSE = ("抱歉,这个问题不在我能回答的范围内。我只回答已导入的项目支出绩效目标表里的内容:"
            "各项目的预算金额、资金来源、绩效目标,以及产出、效益、满意度等绩效指标和指标值。")
T_TOO_LONG = "问题太长({n}字),请把问题控制在{limit}字以内,一次问一件事。"
T_OUTSIDE = "数据中没有关于“{places}”的表格。目前已导入的部门:{departments}。"
T_NOT_FOUND = "在已导入的数据中没有找到能回答这个问题的内容。"
T_UNKNOWN_PROJECT = "已导入的数据中没有“{name}”这个项目。名称最接近的项目有:{closest}。可以换用这些名称再问。"
T_NO_YEAR = "{who}没有{year}年的表格;已导入的年份:{years}。"
T_SEVERAL = "有{n}个项目与问题相符,分别回答:"
T_TOO_MANY = "下面只列出前{k}个;请说明部门或年度以缩小范围。"
T_ROWS = "{what}共{n}条:"
T_NO_ROWS = "没有{what}。"
T_EMPTY_VALUE = "未填写"
T_DUPLICATE = "注意:{who}有{n}份表格({sources}),内容可能重复;以下按文件分别列出,没有合并计算。"
T_NEED_TWO = "这个问题需要两个项目才能比较,问题中找到了{n}个;请写出要比较的两个项目名称。"
T_NEED_PART = "请说明要计算哪个(哪些)项目的占比。"
T_CLARIFY_PROJECT = "问题中的描述与多个项目都相符,请问指的是哪一个?"
T_WHICH_PROJECT = "“{question}”指的是哪个项目?"
T_NAME_THE_PROJECT = "“{question}”指的是哪个项目?请说出项目名称(已导入的项目较多,无法一一列出)。"
COLUMN_LABELS = {"total": "总计", "fiscal": "财政拨款", "special": "财政专户拨款", "other": "其他资金"}
AMOUNT_LABELS = {"total": "预算", "fiscal": "财政拨款", "special": "财政专户拨款", "other": "其他资金"}


def money(value: float | None, unit: str = "") -> str:
    """16.8 → "16.80万元"; in 元: 168000元 (an integer when whole)."""
    if value is None:
        return T_EMPTY_VALUE
    if unit == "元":
        yuan = round(value * 10000, 2)
        return f"{int(yuan)}元" if yuan == int(yuan) else f"{yuan:.2f}元"
    return f"{cents(value)}{UNIT}"


def cents(value: float) -> str:
    """Two decimals rounded half up, as money is: 3716.525 → "3716.53" (the float is 3716.52499…)."""
    # Rounded to 9 places first: a sum of floats (29732.199999…) must not decide the cent.
    return str(Decimal(repr(round(value, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def number(value: float, unit: str = "") -> str:
    """A bare number in the unit of an arithmetic line."""
    if unit == "元":
        yuan = round(value * 10000, 2)
        return str(int(yuan)) if yuan == int(yuan) else f"{yuan:.2f}"
    return cents(value)


def count(value: float) -> str:
    return str(int(value)) if value == int(value) else cents(value)


@dataclass
class Draft:
    """An answer being written: text parts and the rows cited, numbered in order of first use."""

    parts: list[str] = field(default_factory=list)
    cited: list[Record] = field(default_factory=list)
    found: bool = True
    refused: bool = False
    _numbers: dict[str, int] = field(default_factory=dict)

    def ref(self, record: Record) -> str:
        if record.id not in self._numbers:
            self.cited.append(record)
            self._numbers[record.id] = len(self.cited)
        return f"[{self._numbers[record.id]}]"

    def refs(self, records: Iterable[Record]) -> str:
        return "".join(self.ref(r) for r in records)

    def listing(self, lines: Iterable[str], total: int) -> None:
        """Numbered lines, at most MAX_LIST of them (a generator is only drawn that far)."""
        for n, line in enumerate(lines, 1):
            if n > MAX_LIST:
                break
            self.parts.append(f"{n}. {line}")
        if total > MAX_LIST:
            self.parts.append(T_MORE.format(shown=MAX_LIST, total=total))

    def say(self, text: str) -> None:
        self.parts.append(text)

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.parts if p)


# -- small pieces --------------------------------------------------------------------------------------
def category_path(ind: Indicator) -> str:
    return f"{ind.level1}/{ind.level2}" if ind.level2 else ind.level1


def values_text(ind: Indicator, field_name: str = "") -> str:
    period = ind.period_value or T_EMPTY_VALUE
    annual = ind.annual_value or T_EMPTY_VALUE
    if field_name in ("actual", "score"):  # a self-evaluation's columns, beside the target they measure
        target = ind.annual_value or ind.period_value or T_EMPTY_VALUE
        if field_name == "actual":
            done = ind.actual_value or "未填写(表中没有实际完成值)"
            return f"实际完成值 {done}(年度指标值 {target})" + (f",偏差原因:{ind.deviation}" if ind.deviation else "")
        got = f"{ind.score:g}" if ind.score is not None else "未填写(表中没有得分)"
        return f"得分 {got}" + (f"(分值 {ind.weight:g})" if ind.weight is not None else "") + f",年度指标值 {target}"
    if field_name == "annual":
        return f"年度指标值 {annual}" + (f"(实施周期指标值 {period})" if not ind.annual_value else "")
    if field_name == "period":
        return f"实施周期指标值 {period}"
    if ind.annual_value == ind.period_value:
        return f"实施周期指标值与年度指标值均为 {period}"
    return f"实施周期指标值 {period};年度指标值 {annual}"


def indicator_line(d: Draft, ind: Indicator, who: str = "", field_name: str = "") -> str:
    prefix = f"{who}的" if who else ""
    return f"{prefix}“{ind.indicator}”({category_path(ind)}):{values_text(ind, field_name)}{d.ref(ind)}"


def categories_summary(indicators: list[Indicator]) -> str:
    """产出指标(数量指标、时效指标)、效益指标(可持续影响指标)"""
    tree: dict[str, list[str]] = defaultdict(list)
    for ind in indicators:
        if ind.level2 and ind.level2 not in tree[ind.level1]:
            tree[ind.level1].append(ind.level2)
        tree.setdefault(ind.level1, [])
    order = [c.name for c in LEVEL1]
    return "、".join(f"{l1}({'、'.join(l2s)})" if l2s else l1
                    for l1, l2s in sorted(tree.items(), key=lambda t: order.index(t[0]) if t[0] in order else 9))


def category_names(level1: Iterable[str], level2: Iterable[str]) -> str:
    return "、".join(BY_CODE[c].name for c in (*level2, *level1) if c in BY_CODE)


class Labeler:
    """How a project is named in an answer: its name, plus department and year when the answer spans
    several, plus the source file when two documents share department and year."""

    def __init__(self, projects: Iterable[Project], duplicates: dict[tuple[str, int], list[str]]) -> None:
        projects = list(projects)
        self.many = len({(p.department, p.year) for p in projects}) > 1
        self.duplicates = duplicates

    def __call__(self, p: Project) -> str:
        name = f"{p.department}{p.year or ''}年的{p.project}" if self.many else p.project
        if (p.department, p.year) in self.duplicates:
            name += f"(来源:{p.source})"
        return name


def _duplicate_notes(d: Draft, r: Result) -> None:
    for (department, year), sources in r.duplicates.items():
        d.say(T_DUPLICATE.format(who=f"{department}{year}年", n=len(sources), sources="、".join(sources)))


def _amount_label(plan: Plan) -> str:
    return AMOUNT_LABELS[plan.column]


# -- writers -------------------------------------------------------------------------------------------
def write_amount(d: Draft, p: Project, name: str, unit: str = "") -> None:
    parts = [f"{COLUMN_LABELS[k]} {money(getattr(p, k), unit)}" for k in ("fiscal", "special", "other") if getattr(p, k)]
    detail = f",其中{'、'.join(parts)}" if parts else ""
    d.say(f"{name}的预算总计 {money(p.total, unit)}{detail}{d.ref(p)}。")


def write_funding(d: Draft, p: Project, name: str, unit: str = "") -> None:
    present = [f"{COLUMN_LABELS[k]} {money(getattr(p, k), unit)}" for k in ("fiscal", "special", "other")
               if getattr(p, k)]
    absent = [COLUMN_LABELS[k] for k in ("fiscal", "special", "other") if not getattr(p, k)]
    if len(present) == 1:
        head = f"{name}的资金全部来自{present[0]}"
    elif present:
        head = f"{name}的资金来源:{'、'.join(present)}"
    else:  # a table that prints one amount per project: the split is not in the data
        d.found = False
        d.say(f"{name}在表中只列出预算数 {money(p.total, unit)}{d.ref(p)},没有按财政拨款、财政专户拨款、其他资金分列,"
              "无法判断资金来源。")
        return
    tail = f"({'、'.join(absent)}为空)" if absent and present else ""
    d.say(f"{head}{tail},总计 {money(p.total, unit)}{d.ref(p)}。")


def write_overview(d: Draft, p: Project, name: str, rows: list[Indicator], unit: str = "") -> None:
    """A project named without a question about it: amount, goal and what its indicators cover."""
    goal = f"绩效目标:{p.goal[:80]}{'…' if len(p.goal) > 80 else ''}" if p.goal else "未填写绩效目标"
    covered = f"设置绩效指标{len(rows)}条,包括{categories_summary(rows)}" if rows else "没有可识别的绩效指标"
    d.say(f"{name}:预算总计 {money(p.total, unit)};{goal};{covered}{d.ref(p)}。")


def write_goal(d: Draft, p: Project, name: str) -> None:
    if p.goal:
        d.say(f"{name}的绩效目标:{p.goal}{d.ref(p)}")
    else:
        d.found = False
        d.say(f"{name}在表中没有填写绩效目标{d.ref(p)}。")


def write_indicators(d: Draft, project: Project, chosen: list[Indicator], all_rows: list[Indicator], asked: str,
                     name: str, field_name: str = "") -> None:
    """A project's indicators in the asked categories, or an honest "none" with what it has."""
    if not chosen:
        d.found = False
        if all_rows:
            d.say(f"{name}没有设置{asked}。它设置的指标有:{categories_summary(all_rows)}{d.ref(project)}。")
        else:
            d.say(f"{name}在表中没有可识别的绩效指标{d.ref(project)}。")
        return
    if len(chosen) == 1:
        d.say(f"{name}的{asked}是{indicator_line(d, chosen[0], field_name=field_name)}。")
        return
    d.say(f"{name}的{asked}共{len(chosen)}条:")
    d.listing((indicator_line(d, ind, field_name=field_name) for ind in chosen), len(chosen))


def write_value(d: Draft, ind: Indicator, field_name: str, who: str) -> None:
    """The value first: 信创工作经费的“购置数”实施周期指标值与年度指标值均为 2台。"""
    d.say(f"{who}的“{ind.indicator}”{values_text(ind, field_name)}{d.ref(ind)}(属于{category_path(ind)})。")


def _per_project(d: Draft, r: Result, write: Callable[[Project, str], None]) -> None:
    projects = r.projects
    if len(projects) > 1:
        d.say(T_SEVERAL.format(n=len(projects)))
    if len(projects) > MAX_PROJECTS:
        d.say(T_TOO_MANY.format(k=MAX_PROJECTS))
    label = Labeler(projects, r.duplicates)
    for p in projects[:MAX_PROJECTS]:
        write(p, label(p))


def w_lookup(d: Draft, r: Result, v: Vocabulary) -> None:
    plan, m = r.plan, r.plan.measure
    if m is Measure.PROJECTS:
        _per_project(d, r, lambda p, name: write_overview(d, p, name, v.indicators_of(p), plan.unit))
    elif m is Measure.AMOUNT:
        if plan.column != "total":
            label = Labeler(r.projects, r.duplicates)
            for p in r.projects[:MAX_PROJECTS]:
                d.say(f"{label(p)}的{COLUMN_LABELS[plan.column]}为 {money(getattr(p, plan.column), plan.unit)}{d.ref(p)}。")
            return
        _per_project(d, r, lambda p, name: write_amount(d, p, name, plan.unit))
    elif m is Measure.FUNDING:
        _per_project(d, r, lambda p, name: write_funding(d, p, name, plan.unit))
    elif m is Measure.GOAL:
        _per_project(d, r, lambda p, name: write_goal(d, p, name))
    elif m is Measure.INDICATOR_COUNT:
        label = Labeler(r.projects, r.duplicates)
        lost = dict((p.id, x) for p, x in r.unread)
        for p, n in r.values[:MAX_LIST]:
            rows = v.indicators_of(p)
            note = f"(其中第{'、'.join(map(str, lost[p.id]))}项因OCR损坏未能识别)" if p.id in lost else ""
            d.say(f"{label(p)}共设置{count(n)}条绩效指标{d.ref(p)}{note},分布在:{categories_summary(rows) or '无'}。")
    elif m is Measure.INDICATORS:
        asked = category_names(plan.scope.level1, plan.scope.level2) or \
            ("、".join(f"“{n}”" for n in plan.scope.indicators) + "这个指标" if plan.scope.indicators else "绩效指标")
        if len(r.groups) > 1:
            d.say(T_SEVERAL.format(n=len(r.groups)))
        label = Labeler([p for p, _ in r.groups], r.duplicates)
        for p, rows in r.groups[:MAX_PROJECTS]:
            write_indicators(d, p, rows, v.indicators_of(p), asked, label(p), plan.value_field)
        # Several projects, some without the category: an answer all the same.
        d.found = any(rows for _, rows in r.groups)
    else:
        _write_values(d, r, v)


def _write_values(d: Draft, r: Result, v: Vocabulary) -> None:
    rows = r.rows
    if not rows:
        d.found = False
        return
    label = Labeler(r.projects, r.duplicates)
    named = r.plan.scope.names_projects
    projects = {(i.project, i.department, i.year, i.source) for i in rows}
    if len(projects) > 1 and not named:
        d.say(f"“{rows[0].indicator}”出现在{len(projects)}个项目中:" if len({i.indicator for i in rows}) == 1
              else f"找到{len(rows)}条相符的指标:")
    # The value asked for may be empty in the table: the row is found, and the answer says 未填写 and
    # shows the other value (the contract's reading: the indicator exists, one of its values is blank).
    # A self-evaluation's column asked of a table that has none is not in the data at all (see write()).
    if len(rows) > MAX_LIST:
        d.listing((f"{label(v.project_for(i))}:“{i.indicator}”{values_text(i, r.plan.value_field)}{d.ref(i)}"
                   for i in rows), len(rows))
        return
    for i in rows:
        write_value(d, i, r.plan.value_field, label(v.project_for(i)))
    if r.problem == "unstated":
        d.found = False
        d.say(f"表中没有给出“{r.detail}”的具体数值,指标值只写到这一步。")


def w_list(d: Draft, r: Result, v: Vocabulary) -> None:
    plan, s = r.plan, r.plan.scope
    label = Labeler(r.projects or [p for p, _ in r.groups], r.duplicates)
    _duplicate_notes(d, r)
    if plan.measure is Measure.PROJECTS:
        what = _projects_what(plan, v)
        lacks = [c for c in s.conditions if c.kind is Cond.LACKS_CATEGORY]
        if not r.projects and lacks and len(lacks) == len(s.conditions):
            asked = category_names([str(c.arg) for c in lacks if len(str(c.arg)) == 1],
                                   [str(c.arg) for c in lacks if len(str(c.arg)) == 2])
            # No project lacks it: a definite answer (every one has it), not something missing from the data.
            d.say(f"没有。{_scope_words(plan, v)}{r.scope_size}个项目都设置了{asked}{d.refs(r.rows)}。")
            return
        if not r.projects:
            d.found = False
            has = [c for c in s.conditions if c.kind is Cond.HAS_CATEGORY]
            if has and len(has) == len(s.conditions):
                asked = category_names([str(c.arg) for c in has if len(str(c.arg)) == 1],
                                       [str(c.arg) for c in has if len(str(c.arg)) == 2])
                d.say(f"没有。{_scope_words(plan, v)}{r.scope_size}个项目都没有设置{asked}。")
                return
            d.say(f"没有{what}。" if s.conditions else T_NOT_FOUND)
            return
        d.say(f"{what}共{len(r.projects)}个:")
        if r.groups:
            d.listing((f"{label(p)}:" + ";".join(f"“{i.indicator}”({i.level2 or i.level1}):{values_text(i)}{d.ref(i)}"
                                                 for i in rows) if rows else f"{label(p)}{d.ref(p)}"
                       for p, rows in r.groups), len(r.groups))
        else:
            d.listing((f"{label(p)}:{_amount_text(p, plan)}{d.ref(p)}" for p in r.projects), len(r.projects))
        return
    if plan.measure in (Measure.GOAL, Measure.FUNDING):
        if not r.projects:
            d.found = False
            return
        d.say(f"{_scope_words(plan, v)}{len(r.projects)}个项目的{'绩效目标' if plan.measure is Measure.GOAL else '资金来源'}:")
        d.listing((f"{label(p)}:{_goal_or_funding(p, plan)}{d.ref(p)}" for p in r.projects), len(r.projects))
        if plan.measure is Measure.FUNDING:
            _funding_summary(d, r.projects)
        return
    if plan.measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT):
        if not r.values:
            d.found = False
            return
        unit = "条" if plan.measure is Measure.INDICATOR_COUNT else ""
        d.say(f"{_scope_words(plan, v)}{len(r.values)}个项目的{_measure_word(plan)}分别为:")
        d.listing((f"{label(p)}:{count(n) + unit if unit else money(n, plan.unit)}{d.ref(p)}" for p, n in r.values),
                  len(r.values))
        return
    rows = r.rows
    row_conditions = [c for c in s.conditions if c.kind in ROW_CONDITIONS]
    if row_conditions:
        what = "且".join(ROW_CONDITIONS[c.kind][1].format(arg=c.arg) for c in row_conditions)
        asked = category_names(s.level1, s.level2)
        what = f"{asked}中{what}" if asked else what
        if not rows:
            d.found = False
            named = [p for p in r.projects or v.projects if s.names_projects and p.id in set(s.project_ids)]
            who = f"{'、'.join(label(p) for p in named)}中" if named else ""
            d.say(f"{who}{T_NO_ROWS.format(what=what)}".rstrip("。") + f"{d.refs(named)}。")
            _empty_hint(d, r, v)
            return
        d.say(T_ROWS.format(what=what, n=len(rows)))
        d.listing((indicator_line(d, i, label(v.project_for(i)), plan.value_field) for i in rows), len(rows))
        return
    asked = category_names(s.level1, s.level2) or "绩效指标"
    if not rows:
        d.found = False
        asked_about = [p for i in s.project_ids if isinstance(p := v.catalog.by_id.get(i), Project)] or r.projects
        named = asked_about if (s.names_projects or s.previous) and len(asked_about) <= MAX_LIST else []
        if len(named) == 1:  # what it has instead, cited
            write_indicators(d, named[0], [], v.indicators_of(named[0]), asked, label(named[0]), plan.value_field)
            return
        if named:
            d.say(f"{'、'.join(label(p) for p in named)}都没有设置{asked}{d.refs(named)}。")
            return
        scope = _scope_words(plan, v)
        d.say(f"{scope}{r.scope_size}个项目都没有设置{asked}。")
        return
    if len(r.groups) == 1:
        p, mine = r.groups[0]
        write_indicators(d, p, mine, v.indicators_of(p), asked, label(p), plan.value_field)
        return
    d.say(f"{asked}共{len(rows)}条,分布在{len(r.groups)}个项目中:")
    d.listing((indicator_line(d, i, label(v.project_for(i)), plan.value_field) for i in rows), len(rows))


def _funding_summary(d: Draft, projects: list[Project]) -> None:
    """Which funding columns the listed projects use: "全部来自财政拨款;财政专户拨款、其他资金均为空"."""
    split = [p for p in projects if any(getattr(p, k) for k in ("fiscal", "special", "other"))]
    unsplit = f"{len(projects) - len(split)}个项目在表中只列出预算数,没有按财政拨款、财政专户拨款、其他资金分列" \
        if len(split) < len(projects) else ""
    used = [k for k in ("fiscal", "special", "other") if any(getattr(p, k) for p in split)]
    unused = [COLUMN_LABELS[k] for k in ("fiscal", "special", "other") if k not in used]
    if not split:
        d.found = False
        d.say(f"{unsplit}。")
        return
    empty = f";{'、'.join(unused)}均为空" if unused else ""
    if len(used) == 1:
        head = f"{len(split)}个项目的资金全部来自{COLUMN_LABELS[used[0]]}{empty}"
    else:
        head = "使用的资金来源:" + "、".join(f"{COLUMN_LABELS[k]}({sum(1 for p in split if getattr(p, k))}个项目)"
                                        for k in used) + empty
    d.say(f"{head}" + (f";另有{unsplit}。" if unsplit else "。"))


def _goal_or_funding(p: Project, plan: Plan) -> str:
    if plan.measure is Measure.GOAL:
        return (p.goal[:60] + ("…" if len(p.goal) > 60 else "")) if p.goal else "未填写"
    parts = [f"{COLUMN_LABELS[k]} {money(getattr(p, k), plan.unit)}" for k in ("fiscal", "special", "other") if getattr(p, k)]
    return "、".join(parts) or "未填写"


def _empty_hint(d: Draft, r: Result, v: Vocabulary) -> None:
    """No row with both values empty: say how many lack only the annual value (the audit's split)."""
    if any(c.kind is Cond.EMPTY_VALUE for c in r.plan.scope.conditions):
        annual = [i for p in (r.projects or v.projects) for i in v.indicators_of(p) if not i.annual_value.strip()]
        if annual:
            d.say(f"另有{len(annual)}条指标只填写了实施周期指标值、没有填写年度指标值(可问“哪些指标没填年度指标值”)。")


def _amount_text(p: Project, plan: Plan) -> str:
    return money(getattr(p, plan.column), plan.unit)


def _measure_word(plan: Plan) -> str:
    if plan.measure is Measure.INDICATOR_COUNT:
        asked = category_names(plan.scope.level1, plan.scope.level2) or "绩效指标"
        return f"{asked}条数"
    return _amount_label(plan)


def _scope_words(plan: Plan, v: Vocabulary) -> str:
    s = plan.scope
    who = "、".join(s.departments)
    year = "、".join(f"{y}年" for y in s.years)
    if s.previous:
        return "上面"
    return f"{who}{year}" if who or year else "已导入的"


def _projects_what(plan: Plan, v: Vocabulary) -> str:
    parts = []
    for c in plan.scope.conditions:
        if c.kind in PROJECT_CONDITIONS:
            template = PROJECT_CONDITIONS[c.kind][1]
            name = BY_CODE[str(c.arg)].name if c.kind in (Cond.HAS_CATEGORY, Cond.LACKS_CATEGORY) and str(c.arg) in BY_CODE \
                else COLUMN_LABELS.get(str(c.arg), str(c.arg))
            arg = f"{c.arg:g}" if isinstance(c.arg, float) else c.arg
            parts.append(template.format(arg=arg, name=name).removesuffix("的项目"))
    scope = _scope_words(plan, v)
    prefix = "" if scope == "已导入的" else f"{scope}的"
    if not parts:
        return f"{prefix}项目"
    return f"{prefix}{'、'.join(parts)}的项目"


def w_count(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    _duplicate_notes(d, r)
    label = Labeler(r.projects, r.duplicates)
    if plan.measure is Measure.PROJECTS or plan.measure is Measure.AMOUNT:
        what = _projects_what(plan, v)
        if not r.projects:
            d.found = False
            d.say(f"没有{what}。")
            return
        d.say(f"{what}共{len(r.projects)}个{_per_source(r.projects, r)}:")
        d.listing((f"{label(p)}:{_amount_text(p, plan)}{d.ref(p)}" for p in r.projects), len(r.projects))
        return
    asked = category_names(plan.scope.level1, plan.scope.level2) or "绩效指标"
    row_conditions = [c for c in plan.scope.conditions if c.kind in ROW_CONDITIONS]
    if row_conditions:
        asked = "且".join(ROW_CONDITIONS[c.kind][1].format(arg=c.arg) for c in row_conditions)
    n = len(r.rows)
    if len(r.projects) == 1 or (len(r.groups) <= 1 and plan.scope.names_projects):
        p = r.projects[0] if r.projects else None
        who = label(p) if p else ""
        if n == 0:
            d.found = False
            d.say(f"{who}没有设置{asked}{d.ref(p) if p else ''}。")
            return
        total = count(r.number) if r.unread and r.number is not None else str(n)
        d.say(f"{who}共设置了{total}条{asked}{_unread_note(r, one=True)}:")
        d.listing((indicator_line(d, i, field_name=plan.value_field) for i in r.rows), n)
        if p is not None:  # the count is read off the project's row (its 绩效指标 cell): cited too
            d.say(f"以上均出自{who}的绩效指标栏{d.ref(p)}。")
        return
    if n == 0:
        d.found = False
        d.say(f"{_scope_words(plan, v)}{r.scope_size}个项目中没有{asked}。")
        return
    total = count(r.number) if r.unread and r.number is not None else str(n)
    d.say(f"{_scope_words(plan, v)}{r.scope_size}个项目共有{asked}{total}条{_unread_note(r)},分布在{len(r.groups)}个项目中:")
    if plan.scope.has_category or plan.scope.conditions or plan.scope.indicators:  # the rows are the evidence
        d.listing((f"{label(p)}:{len(rows)}条," + "、".join(f"“{i.indicator}”{d.ref(i)}" for i in rows)
                   for p, rows in r.groups), len(r.groups))
    else:  # a project's count is read off its row
        d.listing((f"{label(p)}:{count(x)}条{d.ref(p)}" for p, x in r.values), len(r.values))


def _unread_note(r: Result, one: bool = False) -> str:
    """"(表中编号到第6项,其中第4项因OCR损坏未能识别)": items a table lists that no row was read from."""
    if not r.unread:
        return ""
    if one and len(r.unread) == 1:
        _, lost = r.unread[0]
        top = int(r.number or 0)
        return f"(表中该项目的指标编号到第{top}项,其中第{'、'.join(map(str, lost))}项因OCR损坏未能识别,下面列出可识别的{top - len(lost)}条)"
    parts = "、".join(f"{p.project}第{'、'.join(map(str, lost))}项" for p, lost in r.unread)
    return f"(含因OCR损坏未能识别的{sum(len(x) for _, x in r.unread)}条:{parts})"


def _per_source(projects: list[Project], r: Result) -> str:
    """"(其中 a.txt 7个、b.txt 7个)" when documents share department and year."""
    if not r.duplicates:
        return ""
    counts: dict[str, int] = defaultdict(int)
    for p in projects:
        counts[p.source] += 1
    return f"(其中{'、'.join(f'{s} {n}个' for s, n in counts.items())})"


def _arithmetic(terms: list[float], unit: str, result: str) -> str:
    if len(terms) < 2 or len(terms) > 10:
        return ""
    return f"({' + '.join(number(t, unit) for t in terms)} = {result})"


def w_sum(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if plan.measure in (Measure.GOAL, Measure.INDICATOR_VALUE):
        _write_text_sum(d, r, v)
        return
    if plan.measure is Measure.INDICATOR_COUNT or plan.measure is Measure.INDICATORS:
        d.say(f"{_scope_words(plan, v)}{len(r.values)}个项目共设置绩效指标{count(r.number or 0)}条{_unread_note(r)}"
              f"{d.refs(p for p, _ in r.values[:MAX_LIST])}。")
        return
    if r.duplicates:
        _sum_by_source(d, r, v)
        return
    label = Labeler(r.projects, r.duplicates)
    column = _amount_label(plan)
    total = money(r.number, plan.unit)
    if len(r.values) <= 3:
        d.say(f"{'、'.join(label(p) for p, _ in r.values)}的{column}合计 {total}{d.refs(p for p, _ in r.values)}"
              f"{_arithmetic(r.terms, plan.unit, total)}。")
    else:
        who = f"{_projects_what(plan, v)}({len(r.values)}个)" if plan.scope.conditions else f"这{len(r.values)}个项目"
        d.say(f"{who}的{column}合计 {total}{_arithmetic(r.terms, plan.unit, total)}:")
        d.listing((f"{label(p)}:{money(a, plan.unit)}{d.ref(p)}" for p, a in r.values), len(r.values))
    for doc, s in r.documents:
        agree = "一致" if abs(s - (doc.grand_total or 0.0)) < 0.005 else \
            f"不一致(差 {(doc.grand_total or 0.0) - s:+.2f}{UNIT})"
        d.say(f"{doc.department}{doc.year}年表中“合计”为 {money(doc.grand_total, plan.unit)},与各项目之和{agree}"
              f"(来源:{doc.source})。")


def _write_text_sum(d: Draft, r: Result, v: Vocabulary) -> None:
    """Quantities stated in one text, added: the text quoted, then the arithmetic."""
    if r.plan.op is not Op.SUM or not r.parts:  # fewer than two quantities: the text itself answers
        w_lookup(d, r, v)
        return
    total = count(r.number or 0.0)
    if r.plan.measure is Measure.GOAL:
        p = r.projects[0]
        d.say(f"{p.project}的绩效目标写道:“{r.detail}”{d.ref(p)}。")
    else:
        i = r.rows[0]
        d.say(f"{v.project_for(i).project}的“{i.indicator}”指标值为 {i.annual_value or i.period_value}{d.ref(i)}。")
    mixed = len({part.lstrip("0123456789.") for part in r.parts}) > 1
    d.say(f"其中的数量合计 {total}({' + '.join(r.parts if mixed else [count(t) for t in r.terms])} = {total})"
          + ("(单位不同,仅按数字相加)" if mixed else "") + "。")


def _sum_by_source(d: Draft, r: Result, v: Vocabulary) -> None:
    """Two documents for one department and year: one total per document, never added together."""
    _duplicate_notes(d, r)
    by_source: dict[str, list[tuple[Project, float]]] = defaultdict(list)
    for p, a in r.values:
        by_source[p.source].append((p, a))
    for source, values in by_source.items():
        p0 = values[0][0]
        total = sum(a for _, a in values)
        d.say(f"{p0.department}{p0.year}年(来源:{source})的{_amount_label(r.plan)}合计 {money(total, r.plan.unit)}"
              f"{d.refs(p for p, _ in values[:MAX_LIST])}。")


def w_average(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if r.number is None:
        d.found = False
        return
    label = Labeler(r.projects, r.duplicates)
    _duplicate_notes(d, r)
    n = len(r.values)
    if plan.op is Op.MEDIAN:
        counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)
        shown: Callable[[float], str] = (lambda x: f"{x:g}条") if counts else (lambda x: money(x, plan.unit))
        ranked = sorted(r.values, key=lambda t: t[1])
        middle = f"第{n // 2 + 1}个" if n % 2 else f"第{n // 2}、{n // 2 + 1}个的平均"
        d.say(f"{n}个项目的{'绩效指标条数' if counts else _amount_label(plan)}中位数为 {shown(r.number or 0.0)}"
              f"(从低到高排列取{middle}):")
        d.listing((f"{label(p)}:{shown(a)}{d.ref(p)}" for p, a in ranked), n)
        return
    if plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS):
        total = sum(r.terms)
        d.say(f"{n}个项目平均每个设置绩效指标 {r.number:.2f}条({count(total)} ÷ {n} = {r.number:.2f}){_unread_note(r)}"
              f"{d.refs(p for p, _ in r.values[:MAX_LIST])}。")
        return
    if r.duplicates:  # two tables of one department and year: one average per file
        by_source: dict[str, list[float]] = defaultdict(list)
        for p, a in r.values:
            by_source[p.source].append(a)
        for source, amounts in by_source.items():
            mean = sum(amounts) / len(amounts)
            d.say(f"来源 {source}:{len(amounts)}个项目的平均{_amount_label(plan)}为 {money(mean, plan.unit)}"
                  f"({number(sum(amounts), plan.unit)} ÷ {len(amounts)} = {number(mean, plan.unit)})"
                  f"{d.refs(p for p, _ in r.values if p.source == source)}。")
        return
    total = sum(r.terms)
    unit_word = "元" if plan.unit == "元" else UNIT
    d.say(f"{n}个项目的平均{_amount_label(plan)}为 {money(r.number, plan.unit)}"
          f"({number(total, plan.unit)} ÷ {n} = {number(r.number, plan.unit)}{unit_word}):")
    d.listing((f"{label(p)}:{money(a, plan.unit)}{d.ref(p)}" for p, a in r.values), n)


def w_extreme(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if not r.projects:
        d.found = False
        return
    label = Labeler([p for p, _ in r.values], r.duplicates)
    word = "最多" if plan.op is Op.MAX else "最少"
    if plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS):
        asked = category_names(plan.scope.level1, plan.scope.level2) or "绩效指标"
        codes = {*plan.scope.level1, *plan.scope.level2}

        def rows(p: Project) -> list[Indicator]:
            return [i for i in v.indicators_of(p) if not codes or i.level1_code in codes or i.level2_code in codes]

        names = "、".join(f"{label(p)}{d.ref(p)}" for p in r.projects)
        d.say(f"在{r.scope_size}个项目中,{asked}{word}的是{names},共{count(r.number or 0)}条{_unread_note(r)}。")
        _compared(d, r, label, lambda n: f"{count(n)}条")
        return
    names = "、".join(f"{label(p)}{d.ref(p)}" for p in r.projects)
    word = "最高" if plan.op is Op.MAX else "最低"
    d.say(f"在{r.scope_size}个项目中,{_amount_label(plan)}{word}的是{names},为 {money(r.number, plan.unit)}。")
    _compared(d, r, label, lambda n: money(n, plan.unit))


def _compared(d: Draft, r: Result, label: Labeler, shown: Callable[[float], str]) -> None:
    """The other projects an extreme was chosen among, each cited, so the comparison can be checked."""
    winners = {p.id for p in r.projects}
    others = sorted(((p, n) for p, n in r.values if p.id not in winners), key=lambda t: -t[1] if r.plan.op is Op.MAX else t[1])
    if others and len(r.values) <= MAX_LIST:
        d.say("其余:" + "、".join(f"{label(p)} {shown(n)}{d.ref(p)}" for p, n in others) + "。")


def w_sort(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if not r.values:
        d.found = False
        return
    if plan.position:
        _write_positions(d, r)
        return
    label = Labeler(r.projects, r.duplicates)
    _duplicate_notes(d, r)
    direction = "从高到低" if plan.order == "desc" else "从低到高"
    counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)
    what = _measure_word(plan)
    if plan.op is Op.TOP:
        word = "最高" if plan.order == "desc" else "最低"
        extra = f"(并列,共{len(r.values)}个)" if len(r.values) > plan.k else ""
        d.say(f"在{r.scope_size}个项目中,{what}{word}的前{plan.k}个{extra}:")
    else:
        d.say(f"{r.scope_size}个项目按{what}{direction}排列:")
    d.listing((f"{label(p)}:{count(n) + '条' if counts else money(n, plan.unit)}{d.ref(p)}" for p, n in r.values),
              len(r.values))


def _write_positions(d: Draft, r: Result) -> None:
    """Where each asked project stands: "在…的7个项目中从高到低排第6"."""
    plan = r.plan
    label = Labeler([p for p, _ in r.values], r.duplicates)
    direction = "从高到低" if plan.order == "desc" else "从低到高"
    counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)
    what = _measure_word(plan)
    for p in r.projects:
        same = [(q, x) for q, x in r.values if q.source == p.source]
        mine = next((x for q, x in same if q.id == p.id), None)
        if mine is None:
            continue
        rank = 1 + sum(x > mine if plan.order == "desc" else x < mine for _, x in same)
        table = f"{p.department}{p.year or ''}年"
        shown = f"{count(mine)}条" if counts else money(mine, plan.unit)
        d.say(f"{label(p)}的{what}为 {shown}{d.ref(p)},在{table}的{len(same)}个项目中按{what}{direction}排第{rank}。")


def w_share(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if r.problem == "need_part":
        d.found = False
        d.say(T_NEED_PART)
        return
    if r.number is None:
        d.found = False
        return
    label = Labeler(r.projects, r.duplicates)
    _duplicate_notes(d, r)
    column = _amount_label(plan)
    if plan.group == "project":
        p = r.projects[0]
        a, b = r.terms
        d.say(f"{label(p)}的{column}为 {money(a, plan.unit)},占该项目预算总计 {money(b, plan.unit)} 的 {a / b * 100:.2f}%"
              f"({number(a, plan.unit)} ÷ {number(b, plan.unit)} = {a / b * 100:.2f}%){d.ref(p)}。")
        return
    for source, a, b in r.by_source or [("", *r.terms)]:
        part = [p for p in r.projects if not source or p.source == source]
        names = "、".join(f"{label(p)}{d.ref(p)}" for p in part[:MAX_LIST])
        whole = "、".join(f"{dep}{y}年" for dep, y in sorted({(p.department, p.year) for p in part}))
        where = f"(来源:{source})" if source else ""
        listed = [x for src, x in r.listed.items() if not source or src == source]
        total_word = "表中部门合计" if listed else f"全部项目{column}合计"
        d.say(f"{names}的{column}为 {money(a, plan.unit)},占{whole}{where}{total_word} {money(b, plan.unit)} 的 "
              f"{a / b * 100:.2f}%({number(a, plan.unit)} ÷ {number(b, plan.unit)} = {a / b * 100:.2f}%)。")
        # The whole is a sum of rows too: each of them cited, so the denominator can be checked.
        mine = {q.id for q in part}
        rest = [p for src in dict.fromkeys(q.source for q in part) for p in v.of_source.get(src, []) if p.id not in mine]
        if rest and len(rest) + len(part) <= MAX_LIST:
            d.say("合计中的其他项目:" + "、".join(
                f"{p.project} {money(getattr(p, plan.column, None) or 0.0, plan.unit)}{d.ref(p)}" for p in rest) + "。")
        if listed and len(listed) == 1:  # the printed total and the listed projects disagree: both, said as such
            d.say(f"注意:表中所列项目之和为 {money(listed[0], plan.unit)},与合计不一致(表格可能只列出部分项目);"
                  f"按所列项目之和计为 {a / listed[0] * 100:.2f}%。")


def w_pair(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if r.problem == "need_two":
        d.found = False
        d.say(T_NEED_TWO.format(n=r.detail))
        return
    if r.problem == "units_differ":
        d.found = False
        d.say("两个指标值的单位不同,不能直接相减或相除:")
        for i in r.rows:
            write_value(d, i, plan.value_field, Labeler(r.projects, r.duplicates)(v.project_for(i)))
        return
    if r.number is None:
        d.found = False
        return
    if plan.versus is not None:
        _write_versus(d, r)
        return
    if plan.measure is Measure.INDICATOR_VALUE:
        _write_value_pair(d, r, v)
        return
    (pa, a), (pb, b) = r.values
    label = Labeler([pa, pb], r.duplicates)
    counts = plan.measure in (Measure.INDICATOR_COUNT, Measure.INDICATORS)

    def show(x: float) -> str:
        return f"{count(x)}条" if counts else money(x, plan.unit)

    def bare(x: float) -> str:
        return count(x) if counts else number(x, plan.unit)

    what = "绩效指标条数" if counts else _amount_label(plan)
    head = f"{label(pa)}的{what}为 {show(a)}{d.ref(pa)},{label(pb)}为 {show(b)}{d.ref(pb)}"
    if plan.op is Op.RATIO and plan.unit == "%":
        d.say(f"{head};前者是后者的 {r.number * 100:.2f}%({bare(a)} ÷ {bare(b)} = {r.number * 100:.2f}%)。")
        return
    if plan.op is Op.RATIO:
        d.say(f"{head};前者是后者的 {r.number:.2f}倍({bare(a)} ÷ {bare(b)} = {r.number:.2f})。")
        return
    diff = r.number
    more = "多" if diff >= 0 else "少"
    unit = "条" if counts else ("元" if plan.unit == "元" else UNIT)
    d.say(f"{head};前者比后者{more} {show(abs(diff))}({bare(a)} − {bare(b)} = {bare(diff)}{unit})。")


def _write_versus(d: Draft, r: Result) -> None:
    """A project against another department's whole table."""
    plan = r.plan
    a, b = r.terms
    label = Labeler([*r.projects, *(p for _, _, ps in r.tables for p in ps)], r.duplicates)
    table_first = r.detail == "table_first"

    def project_side() -> str:
        names = "、".join(f"{label(p)}{d.ref(p)}" for p in r.projects)
        return f"{names}的{_amount_label(plan)}为 {money(b if table_first else a, plan.unit)}"

    def table_side() -> str:
        tables = "、".join(f"{ps[0].department}{ps[0].year or ''}年" for _, _, ps in r.tables)
        cited = "".join(d.refs(ps) for _, _, ps in r.tables)
        return f"{tables}全部项目合计 {money(a if table_first else b, plan.unit)}{cited}"

    head = f"{table_side()},{project_side()}" if table_first else f"{project_side()},{table_side()}"
    if plan.op is Op.RATIO and plan.unit == "%":
        d.say(f"{head};前者是后者的 {r.number * 100:.2f}%({number(a, plan.unit)} ÷ {number(b, plan.unit)} = "
              f"{(r.number or 0) * 100:.2f}%)。")
    elif plan.op is Op.RATIO:
        d.say(f"{head};前者是后者的 {r.number:.2f}倍({number(a, plan.unit)} ÷ {number(b, plan.unit)} = {r.number:.2f})。")
    else:
        diff = r.number or 0.0
        d.say(f"{head};前者比后者{'多' if diff >= 0 else '少'} {money(abs(diff), plan.unit)}"
              f"({number(a, plan.unit)} − {number(b, plan.unit)} = {number(diff, plan.unit)})。")


def _write_value_pair(d: Draft, r: Result, v: Vocabulary) -> None:
    """Two targets of the same kind compared: "≥95% 比 ≥90% 高 5个百分点"."""
    plan = r.plan
    (pa, a), (pb, b) = r.values
    ia, ib = r.rows
    label = Labeler([pa, pb], r.duplicates)
    unit = value_unit(ia)
    head = (f"{label(pa)}的“{ia.indicator}”为 {ia.annual_value or ia.period_value}{d.ref(ia)},"
            f"{label(pb)}的“{ib.indicator}”为 {ib.annual_value or ib.period_value}{d.ref(ib)}")
    if plan.op is Op.RATIO:
        d.say(f"{head};前者是后者的 {r.number:.2f}倍({count(a)} ÷ {count(b)} = {r.number:.2f})。")
        return
    diff = r.number or 0.0
    points = "个百分点" if unit == "%" else unit
    more = "高" if diff >= 0 else "低"
    d.say(f"{head};前者比后者{more} {count(abs(diff))}{points}({count(a)} − {count(b)} = {count(diff)})。")


def value_unit(i: Indicator) -> str:
    n = value_number(i)
    return n[1] if n else ""


def w_per_unit(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if r.problem == "no_count" or r.number is None or not r.rows:
        d.found = False
        names = "、".join(f"{p.project}{d.ref(p)}" for p in r.projects[:MAX_PROJECTS])
        d.say(f"{names}的绩效指标中没有以“{r.detail or plan.per}”计数的数量,无法计算平均每{plan.per}的金额。")
        return
    p, row = r.projects[0], r.rows[0]
    a, n = r.terms
    unit_word = "元" if plan.unit == "元" else UNIT
    d.say(f"{Labeler([p], r.duplicates)(p)}的{_amount_label(plan)}为 {money(a, plan.unit)}{d.ref(p)},"
          f"“{row.indicator}”为 {row.annual_value or row.period_value}{d.ref(row)};平均每{plan.per} "
          f"{money(r.number, plan.unit)}({number(a, plan.unit)} ÷ {count(n)} = {number(r.number, plan.unit)}{unit_word})。")


def w_weight(d: Draft, r: Result, v: Vocabulary) -> None:
    """Indicator weights: each, their sum (against 100), or the heaviest."""
    plan = r.plan
    if r.problem == "no_weight":
        d.found = False
        names = "、".join(f"{p.project}{d.ref(p)}" for p in r.projects[:MAX_PROJECTS])
        d.say(f"{names}的绩效指标在表中没有填写权重(分值)。")
        return
    label = Labeler(r.projects, r.duplicates)
    if plan.op is Op.SUM:
        for p, total in r.values[:MAX_PROJECTS]:
            rows = next(rows for q, rows in r.groups if q.id == p.id)
            terms = " + ".join(count(i.weight or 0.0) for i in rows)
            gap = "" if total == 100 else f",与100相差 {count(abs(100 - total))}"
            d.say(f"{label(p)}的{len(rows)}条指标权重合计 {count(total)}({terms} = {count(total)}){d.refs(rows)}{gap}。")
        return
    if plan.op in (Op.MAX, Op.MIN):
        word = "最高" if plan.op is Op.MAX else "最低"
        names = "、".join(f"{label(v.project_for(i))}的“{i.indicator}”{d.ref(i)}" for i in r.rows)
        d.say(f"在{r.scope_size}条指标中,权重{word}的是{names},为 {count(r.number or 0.0)}。")
        return
    d.listing((f"{label(v.project_for(i))}的“{i.indicator}”:权重 {count(i.weight) if i.weight is not None else '未填写'}"
               f"{d.ref(i)}" for i in r.rows), len(r.rows))


def w_all_have(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    asked = category_names(plan.scope.level1, plan.scope.level2) or "绩效指标"
    n = len(r.projects) + len(r.lacking)
    label = Labeler([*r.projects, *r.lacking], r.duplicates)
    if not plan.scope.has_category and any(c.kind in PROJECT_CONDITIONS for c in plan.scope.conditions):
        # "所有项目的预算都超过1万元吗": each project against the condition, with its amount.
        what = _projects_what(replace(plan, scope=replace(plan.scope, departments=[], years=[])), v)
        what = what.removesuffix("的项目") or what
        if not r.lacking:
            d.say(f"是的,{n}个项目都是{what}的项目:")
            d.listing((f"{label(p)}:{_amount_text(p, plan)}{d.ref(p)}" for p in r.projects), n)
            return
        d.say(f"不是。{n}个项目中有{len(r.lacking)}个不是{what}的项目:")
        d.listing((f"{label(p)}:{_amount_text(p, plan)}{d.ref(p)}" for p in r.lacking), len(r.lacking))
        return
    if not r.lacking:
        if n > MAX_LIST or len(r.rows) != len(r.projects):
            d.say(f"是的,所有{n}个项目都设置了{asked}{d.refs(r.rows)}。")
            return
        d.say(f"是的,所有{n}个项目都设置了{asked},例如:")  # one row each, so it can be checked
        d.listing((f"{label(p)}:“{i.indicator}”{d.ref(i)}" for p, i in zip(r.projects, r.rows, strict=True)), n)
        return
    d.say(f"不是。{n}个项目中有{len(r.lacking)}个没有设置{asked}:")
    d.listing((f"{label(p)}{d.ref(p)}" for p in r.lacking), len(r.lacking))


def w_exists(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if any(c.kind in ROW_CONDITIONS for c in plan.scope.conditions):
        w_list(d, r, v)
        return
    if plan.measure is Measure.PROJECTS:
        what = _projects_what(plan, v)
        if not r.projects:
            d.found = False
            d.say(f"没有{what}。")
            return
        label = Labeler(r.projects, r.duplicates)
        d.say(f"有,{what}共{len(r.projects)}个:")
        d.listing((f"{label(p)}:{_amount_text(p, plan)}{d.ref(p)}" for p in r.projects), len(r.projects))
        return
    if plan.measure is Measure.INDICATOR_VALUE and not plan.scope.has_category:
        _write_values(d, r, v)
        return
    if not plan.scope.names_projects and not plan.scope.previous and not r.groups:
        asked = category_names(plan.scope.level1, plan.scope.level2) or "这样的指标"
        d.found = False
        d.say(f"没有。已导入的{r.scope_size}个项目都没有设置{asked}。")
        return
    w_lookup(d, r, v)


def w_reverse(d: Draft, r: Result, v: Vocabulary) -> None:
    if r.plan.measure is Measure.GOAL:
        if not r.projects:
            d.found = False
            return
        label = Labeler(r.projects, r.duplicates)
        d.say(f"绩效目标与问题相符的项目共{len(r.projects)}个:")
        d.listing((f"{label(p)}:{_goal_or_funding(p, r.plan)}{d.ref(p)}" for p in r.projects), len(r.projects))
        return
    rows = r.rows
    if not rows:
        d.found = False
        return
    for name in dict.fromkeys(i.indicator for i in rows):
        mine = [i for i in rows if i.indicator == name]
        label = Labeler([v.project_for(i) for i in mine], r.duplicates)
        if len(mine) > 1:
            d.say(f"“{name}”出现在{len(mine)}个项目中:")
            d.listing((f"{label(v.project_for(i))}的{category_path(i)}:{values_text(i)}{d.ref(i)}" for i in mine),
                      len(mine))
        else:
            i = mine[0]
            d.say(f"“{i.indicator}”是{label(v.project_for(i))}的{category_path(i)}指标,{values_text(i)}{d.ref(i)}。")


def w_search(d: Draft, r: Result, v: Vocabulary) -> None:
    if not r.hits:
        d.found = False
        return
    d.say("找到以下最相关的内容:")
    for n, rec in enumerate(r.hits, 1):
        if isinstance(rec, Indicator):
            d.say(f"{n}. {indicator_line(d, rec, rec.project)}")
        else:
            d.say(f"{n}. {rec.project}:预算 {money(rec.total)},绩效目标:{rec.goal[:60]}{'…' if len(rec.goal) > 60 else ''}"
                  f"{d.ref(rec)}")


def w_refuse(d: Draft, r: Result, v: Vocabulary) -> None:
    d.refused = True
    d.found = False
    if r.detail:
        d.say(T_OUTSIDE.format(places=r.detail, departments=_departments_like(r.detail, v.departments)))
    d.say(T_REFUSE)


def _departments_like(asked: str, departments: list[str], limit: int = 10) -> str:
    """The indexed departments to offer: those of the same kind (民政局) first, at most `limit`."""
    kind = [d for d in departments if any(d.endswith(asked[-n:]) for n in (3, 2) if len(asked) > n)]
    chosen = (kind or departments)[:limit]
    more = len(kind or departments) - len(chosen)
    return "、".join(chosen) + (f"等{len(kind or departments)}个" if more > 0 else "")


Writer = Callable[[Draft, Result, Vocabulary], None]
WRITERS: dict[Op, Writer] = {
    Op.LOOKUP: w_lookup, Op.LIST: w_list, Op.COUNT: w_count, Op.SUM: w_sum, Op.AVERAGE: w_average, Op.MEDIAN: w_average,
    Op.MAX: w_extreme, Op.MIN: w_extreme, Op.SORT: w_sort, Op.TOP: w_sort, Op.SHARE: w_share,
    Op.DIFFERENCE: w_pair, Op.RATIO: w_pair, Op.ALL_HAVE: w_all_have, Op.EXISTS: w_exists,
    Op.REVERSE: w_reverse, Op.PER_UNIT: w_per_unit, Op.SEARCH: w_search, Op.REFUSE: w_refuse,
}
MEASURE_WRITERS: dict[Measure, Writer] = {Measure.WEIGHT: w_weight}


def w_grouped(d: Draft, r: Result, v: Vocabulary) -> None:
    """Per department (one line per table): totals, the largest, a ranking; a printed 合计 used in place
    of projects that do not add up to it is said."""
    _w_grouped(d, r, v)
    _printed_notes(d, r)


def _w_grouped(d: Draft, r: Result, v: Vocabulary) -> None:
    plan = r.plan
    if r.problem == "need_two":
        d.found = False
        d.say(T_NEED_TWO.format(n=r.detail).replace("项目", "部门"))
        return
    if not r.tables:
        d.found = False
        return
    counts = plan.measure in (Measure.PROJECTS, Measure.INDICATOR_COUNT)
    unit = "个项目" if plan.measure is Measure.PROJECTS else "条指标"
    what = {Measure.PROJECTS: "项目数", Measure.INDICATOR_COUNT: "绩效指标条数"}.get(plan.measure, _amount_label(plan))

    def show(x: float) -> str:
        return f"{count(x)}{unit}" if counts else money(x, plan.unit)

    def name(projects: list[Project]) -> str:
        p = projects[0]
        return f"{p.department}{p.year or ''}年" + (f"(来源:{p.source})" if (p.department, p.year) in r.duplicates else "")

    if plan.op in (Op.MAX, Op.MIN):
        word = "最多" if plan.op is Op.MAX else "最少"
        names = "、".join(f"{name(ps)}{d.refs(ps)}" for _, _, ps in r.tables)
        d.say(f"在{r.scope_size}个部门(表格)中,{what}{word}的是{names},为 {show(r.number or 0.0)}。")
        return
    if plan.op in (Op.DIFFERENCE, Op.RATIO):
        (_, a, pa), (_, b, pb) = r.tables
        head = f"{name(pa)}的{what}为 {show(a)}{d.refs(pa)},{name(pb)}为 {show(b)}{d.refs(pb)}"
        if plan.op is Op.RATIO:
            d.say(f"{head};前者是后者的 {r.number or 0.0:.2f}倍({number(a, plan.unit)} ÷ {number(b, plan.unit)} = "
                  f"{r.number or 0.0:.2f})。")
        else:
            diff = r.number or 0.0
            d.say(f"{head};前者比后者{'多' if diff >= 0 else '少'} {show(abs(diff))}"
                  f"({number(a, plan.unit)} − {number(b, plan.unit)} = {number(diff, plan.unit)})。")
        return
    if plan.op is Op.AVERAGE:
        d.say(f"{r.scope_size}个部门(表格)平均{what}为 {show(r.number or 0.0)}"
              f"({' + '.join(number(t, plan.unit) for t in r.terms[:10])}{' + …' if len(r.terms) > 10 else ''}"
              f" = {number(sum(r.terms), plan.unit)},÷ {len(r.terms)}):")
    elif plan.op is Op.TOP:
        d.say(f"在{r.scope_size}个部门(表格)中,{what}{'最高' if plan.order == 'desc' else '最低'}的前{len(r.tables)}个:")
    elif plan.op is Op.SORT:
        d.say(f"{r.scope_size}个部门(表格)按{what}{'从高到低' if plan.order == 'desc' else '从低到高'}排列:")
    else:
        d.say(f"{r.scope_size}个部门(表格)的{what}分别为(合计 {show(r.number or 0.0)}):")
    d.listing((f"{name(ps)}:{show(x)}{d.refs(ps)}" for _, x, ps in r.tables), len(r.tables))


def _printed_notes(d: Draft, r: Result) -> None:
    """A department's value taken from its printed 合计 that its listed projects do not add up to."""
    if r.plan.measure is not Measure.AMOUNT:
        return
    for _, value, ps in r.tables:
        listed = sum(p.total or 0.0 for p in ps)
        if abs(listed - value) >= 0.005:
            d.say(f"注意:{ps[0].department}{ps[0].year or ''}年按表中合计 {money(value, r.plan.unit)} 计;表中所列项目之和为 "
                  f"{money(listed, r.plan.unit)},与合计不一致(表格可能只列出部分项目)。")


def closest_projects(name: str, v: Vocabulary, departments: list[str] | None = None) -> list[str]:
    pool = v.overlapping(name, k=200) if len(v.projects) > 200 else range(len(v.projects))
    names = list(dict.fromkeys(v.projects[n].project for n in pool
                               if not departments or v.projects[n].department in departments))
    return [n for n, score, _ in process.extract(name, names, scorer=fuzz.WRatio, limit=3) if score > 0]


def _lacks_field(r: Result) -> bool:
    field_name = r.plan.value_field
    rows = r.rows or [i for _, group in r.groups for i in group]
    if field_name == "actual":
        return bool(rows) and not any(i.actual_value for i in rows)
    return field_name == "score" and bool(rows) and all(i.score is None for i in rows)


def write(r: Result, v: Vocabulary, d: Draft | None = None) -> Draft:
    """The answer for a result (and the results chained after it)."""
    d = d or Draft()
    if r.problem == "unknown_project":
        d.found = False
        departments = r.plan.scope.departments
        closest = closest_projects(r.detail, v, departments) or (
            list(dict.fromkeys(p.project for d in departments for p in v.of_department.get(d, [])))[:5] if departments
            else closest_projects(r.detail, v))
        d.say(T_UNKNOWN_PROJECT.format(name=r.detail, closest="、".join(closest)))
        return d
    if r.problem == "no_year":  # no table of that year: outside what the data covers, like a department it lacks
        d.found, d.refused = False, True
        s = r.plan.scope
        who = "、".join(s.departments) if s.departments else "已导入的数据"
        d.say(T_NO_YEAR.format(who=who, year="、".join(str(y) for y in s.years), years=r.detail))
        return d
    before = len(d.parts)
    if r.plan.measure in MEASURE_WRITERS:
        MEASURE_WRITERS[r.plan.measure](d, r, v)
    else:
        (w_grouped if r.plan.group == "department" else WRITERS[r.plan.op])(d, r, v)  # "project": the share's own
    if len(d.parts) == before and not d.refused:
        d.found = False
        d.say(T_NOT_FOUND)
    if _lacks_field(r):  # 实际完成值 / 得分 asked of rows that have none (a target table, not a 自评表)
        d.found = False
    if r.then is not None:
        write(r.then, v, d)
    return d


def describe(plan: Plan) -> str:
    """The plan in words, shown as 理解为:… when a follow-up was rewritten from the conversation."""
    s = plan.scope
    subject = "、".join(s.projects) or ("上面的结果" if s.previous else "所有项目")
    asked = category_names(s.level1, s.level2)
    m, op = plan.measure, plan.op
    if s.indicators and m is Measure.INDICATOR_VALUE:
        return f"{subject}的“{'、'.join(s.indicators)}”指标值是多少"
    texts: dict[tuple[Op, Measure], str] = {
        (Op.LOOKUP, Measure.AMOUNT): f"{subject}的预算是多少",
        (Op.LOOKUP, Measure.FUNDING): f"{subject}的资金来源是什么",
        (Op.LOOKUP, Measure.GOAL): f"{subject}的绩效目标是什么",
        (Op.LOOKUP, Measure.INDICATORS): f"{subject}的{asked or '绩效指标'}有哪些",
        (Op.LIST, Measure.INDICATORS): f"{subject}的{asked or '绩效指标'}有哪些",
        (Op.EXISTS, Measure.INDICATORS): f"{subject}有没有{asked or '绩效指标'}",
        (Op.LOOKUP, Measure.INDICATOR_VALUE): f"{subject}的{asked or '指标'}值是多少",
        (Op.COUNT, Measure.INDICATORS): f"{subject}有几条{asked or '绩效指标'}",
        (Op.SUM, Measure.AMOUNT): f"{subject}的预算合计是多少",
        (Op.AVERAGE, Measure.AMOUNT): f"{subject}的平均预算是多少",
        (Op.MEDIAN, Measure.AMOUNT): f"{subject}的预算中位数是多少",
        (Op.SHARE, Measure.AMOUNT): f"{subject}的预算占比是多少",
        (Op.DIFFERENCE, Measure.AMOUNT): f"{subject}的预算相差多少",
        (Op.MAX, Measure.AMOUNT): f"{subject}中预算最高的是哪个",
        (Op.MIN, Measure.AMOUNT): f"{subject}中预算最低的是哪个",
        (Op.SORT, Measure.AMOUNT): f"{subject}按预算排序",
        (Op.PER_UNIT, Measure.AMOUNT): f"{subject}平均每{plan.per}多少钱",
        (Op.LOOKUP, Measure.WEIGHT): f"{subject}的指标权重是多少",
        (Op.SUM, Measure.WEIGHT): f"{subject}的指标权重合计是多少",
        (Op.COUNT, Measure.PROJECTS): f"{subject}有几个",
    }
    return texts.get((op, m), f"{subject}:{op.value}/{m.value}")


def citation(ref: int, r: Record) -> dict[str, Any]:
    """One citation in the JSON contract of DESIGN.md section 5."""
    base: dict[str, Any] = {"ref": ref, "id": r.id, "kind": r.kind, "department": r.department, "year": r.year,
                            "project": r.project, "source": r.source, "line": r.line,
                            "repaired": r.repaired, "repairs": [f"{x.field}: {x.original} → {x.repaired}({x.reason})"
                                                                for x in r.repairs]}
    if isinstance(r, Indicator):
        base.update(level1=r.level1, level2=r.level2, indicator=r.indicator, period_value=r.period_value,
                    annual_value=r.annual_value, amount=None, text=r.text)
    else:
        base.update(level1=None, level2=None, indicator=None, period_value=None, annual_value=None, amount=r.total,
                    total=r.total, fiscal=r.fiscal, special=r.special, other=r.other, text=r.goal)
    return base
