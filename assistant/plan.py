"""The typed query plan: what a question asks, as data.

A question (with the dialogue state) becomes a `Plan`: a scope (which projects, departments,
years, categories, indicators, row conditions, or "the previous result"), what is measured, an
operation over it, the unit of the answer, and optionally a plan applied to the result (`then`).
The executor (assistant/execute.py) computes every number from rows; nothing is answered outside
a plan. `Plan.to_json()` is what `ask --json` shows; `Plan.from_json()` validates a plan that
came from outside (an LLM) and raises `PlanError` naming what is wrong.

JSON shape (keys beyond these are an error):
    {"op": "share", "measure": "amount", "column": "total",
     "scope": {"projects": ["信创工作经费"], "project_ids": [], "departments": [], "years": [],
               "level1": [], "level2": [], "indicators": [], "indicator_ids": [],
               "conditions": [{"kind": "amount_gt", "arg": 5}], "previous": false},
     "k": 0, "order": "desc", "unit": "万元", "value_field": "", "group": "", "position": false,
     "per": "", "versus": null, "then": null,
     "confidence": 0.9, "source": "rules"}
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class PlanError(ValueError):
    """A plan that does not follow the schema (message in Chinese, naming the field)."""


class Op(StrEnum):
    LOOKUP = "lookup"  # an attribute of named things
    LIST = "list"  # the things that satisfy the scope
    COUNT = "count"
    SUM = "sum"
    AVERAGE = "average"
    MEDIAN = "median"  # the middle value of the sorted amounts (or counts)
    MAX = "max"
    MIN = "min"
    SORT = "sort"
    TOP = "top"
    SHARE = "share"  # part ÷ whole
    DIFFERENCE = "difference"  # first − second
    RATIO = "ratio"  # first ÷ second
    ALL_HAVE = "all_have"  # yes/no over every project in scope
    EXISTS = "exists"  # yes/no: is there any
    REVERSE = "reverse"  # which project / category an indicator belongs to
    PER_UNIT = "per_unit"  # an amount ÷ a quantity the same project counts ("平均每台多少钱")
    SEARCH = "search"  # no structure understood: ranked rows
    REFUSE = "refuse"


class Measure(StrEnum):
    AMOUNT = "amount"  # a funding column of project rows (`Plan.column`)
    FUNDING = "funding"  # where the money comes from: every column
    GOAL = "goal"
    INDICATOR_VALUE = "indicator_value"
    INDICATORS = "indicators"  # indicator rows themselves
    INDICATOR_COUNT = "indicator_count"  # how many indicator rows a project has
    PROJECTS = "projects"  # project rows themselves
    WEIGHT = "weight"  # the 权重/分值 of indicator rows


class Cond(StrEnum):
    """Row conditions: on indicator rows (values) or on project rows (amounts, categories)."""

    EMPTY_ANNUAL = "empty_annual"
    EMPTY_VALUE = "empty_value"
    VAGUE_VALUE = "vague_value"
    NO_NUMBER = "no_number"  # values in words only, with no number
    VALUES_DIFFER = "values_differ"
    VALUE_CONTAINS = "value_contains"
    AMOUNT_GT = "amount_gt"
    AMOUNT_LT = "amount_lt"
    LACKS_CATEGORY = "lacks_category"
    HAS_CATEGORY = "has_category"
    USES_COLUMN = "uses_column"  # a funding column is filled (财政专户拨款 > 0)
    COUNT_GT = "count_gt"  # a project with more than `arg` indicators
    COUNT_LT = "count_lt"
    EXCLUDES = "excludes"  # every project but the one named in `arg` ("除了X,其余…")
    ROW_MENTIONS = "row_mentions"  # indicator rows whose name or value mentions `arg` ("关于绿化的指标")
    PROJECT_MENTIONS = "project_mentions"  # projects whose name or goal mentions `arg` ("跟审计有关的项目")


INDICATOR_CONDITIONS = frozenset({Cond.EMPTY_ANNUAL, Cond.EMPTY_VALUE, Cond.VAGUE_VALUE, Cond.VALUES_DIFFER,
                                  Cond.VALUE_CONTAINS, Cond.NO_NUMBER, Cond.ROW_MENTIONS})
COLUMNS = ("total", "fiscal", "special", "other")
UNITS = ("万元", "元", "%", "")
ORDERS = ("desc", "asc")
VALUE_FIELDS = ("period", "annual", "actual", "score", "")
SOURCES = ("rules", "bank", "llm")
GROUPS = ("", "department", "project")
MAX_NAMES = 50  # names in one scope list
MAX_TEXT = 100  # characters of one name
MAX_DEPTH = 3  # nested `then` plans


@dataclass(frozen=True)
class Condition:
    kind: Cond
    arg: str | float = ""  # category code, column key, value text or amount (万元)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "arg": self.arg}


@dataclass
class Scope:
    """What the plan ranges over; empty lists mean "no restriction"."""

    projects: list[str] = field(default_factory=list)  # project names
    project_ids: list[str] = field(default_factory=list)  # project record ids (exact rows)
    departments: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    level1: list[str] = field(default_factory=list)  # category codes, e.g. "3"
    level2: list[str] = field(default_factory=list)  # e.g. "22"
    indicators: list[str] = field(default_factory=list)  # indicator names
    indicator_ids: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    previous: bool = False  # the previous answer's result set

    @property
    def has_category(self) -> bool:
        return bool(self.level1 or self.level2)

    @property
    def names_projects(self) -> bool:
        return bool(self.projects or self.project_ids)

    def condition(self, kind: Cond) -> Condition | None:
        return next((c for c in self.conditions if c.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        return {"projects": list(self.projects), "project_ids": list(self.project_ids),
                "departments": list(self.departments), "years": list(self.years), "level1": list(self.level1),
                "level2": list(self.level2), "indicators": list(self.indicators),
                "indicator_ids": list(self.indicator_ids), "conditions": [c.to_json() for c in self.conditions],
                "previous": self.previous}


@dataclass
class Plan:
    """One question as an operation over a scope of rows."""

    op: Op
    measure: Measure = Measure.PROJECTS
    scope: Scope = field(default_factory=Scope)
    column: str = "total"  # funding column for Measure.AMOUNT
    k: int = 0  # top-k
    order: str = "desc"
    unit: str = ""  # 万元 | 元 | % | "" (the default for the measure)
    value_field: str = ""  # period | annual | actual, score (自评表) | "" (both targets)
    then: Plan | None = None  # applied to this plan's result
    group: str = ""  # "department": over each table's total instead of each project; "project": within each project
    position: bool = False  # sort: where the scoped projects rank among all projects of their tables
    per: str = ""  # per_unit: what the divisor counts (台, 人, 行政村)
    versus: Plan | None = None  # difference/ratio: the second operand when it is not a project of the scope
    confidence: float = 1.0
    source: str = "rules"

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op.value, "measure": self.measure.value, "column": self.column,
                "scope": self.scope.to_json(), "k": self.k, "order": self.order, "unit": self.unit,
                "value_field": self.value_field, "group": self.group, "position": self.position, "per": self.per,
                "versus": self.versus.to_json() if self.versus else None,
                "then": self.then.to_json() if self.then else None,
                "confidence": round(self.confidence, 3), "source": self.source}

    @classmethod
    def from_json(cls, data: Any, depth: int = 0) -> Plan:
        """A validated plan; raises PlanError on any unknown key, value or type."""
        return _plan(data, depth, "plan")

    def with_scope(self, **changes: Any) -> Plan:
        return replace(self, scope=replace(self.scope, **changes))


# -- validation ------------------------------------------------------------------------------------
_PLAN_KEYS = {"op", "measure", "column", "scope", "k", "order", "unit", "value_field", "group", "position", "then",
              "confidence", "source", "per", "versus"}
_SCOPE_LISTS = {"projects": str, "project_ids": str, "departments": str, "years": int, "level1": str, "level2": str,
                "indicators": str, "indicator_ids": str}


def _fail(where: str, message: str) -> PlanError:
    return PlanError(f"计划字段 {where}: {message}")


def _enum(value: Any, kind: type[StrEnum], where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise _fail(where, f"“{value}”不是 {'/'.join(m.value for m in kind)} 之一") from None


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(where, f"“{value}”不是 {'/'.join(a or '空' for a in allowed)} 之一")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, "需要 true 或 false")
    return value


def _plan(data: Any, depth: int, where: str) -> Plan:
    if depth > MAX_DEPTH:
        raise _fail(where, f"嵌套超过{MAX_DEPTH}层")
    if not isinstance(data, dict):
        raise _fail(where, "需要一个 JSON 对象")
    unknown = set(data) - _PLAN_KEYS
    if unknown:
        raise _fail(where, f"未知的键 {sorted(unknown)}")
    if "op" not in data:
        raise _fail(where, "缺少 op")
    k = data.get("k", 0)
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= 100:
        raise _fail(f"{where}.k", f"需要 0-100 的整数,得到 {k!r}")
    confidence = data.get("confidence", 1.0)
    if not isinstance(confidence, int | float) or isinstance(confidence, bool) or not 0 <= confidence <= 1:
        raise _fail(f"{where}.confidence", f"需要 0-1 之间的数,得到 {confidence!r}")
    then = data.get("then")
    versus = data.get("versus")
    per = data.get("per", "")
    if not isinstance(per, str) or len(per) > 10:
        raise _fail(f"{where}.per", f"需要不超过10字的文字,得到 {per!r}")
    return Plan(
        op=_enum(data["op"], Op, f"{where}.op"),
        measure=_enum(data.get("measure", "projects"), Measure, f"{where}.measure"),
        scope=_scope(data.get("scope") or {}, f"{where}.scope"),
        column=_choice(data.get("column", "total"), COLUMNS, f"{where}.column"),
        k=k,
        order=_choice(data.get("order", "desc"), ORDERS, f"{where}.order"),
        unit=_choice(data.get("unit", ""), UNITS, f"{where}.unit"),
        value_field=_choice(data.get("value_field", ""), VALUE_FIELDS, f"{where}.value_field"),
        group=_choice(data.get("group", ""), GROUPS, f"{where}.group"),
        position=_flag(data.get("position", False), f"{where}.position"),
        then=None if then is None else _plan(then, depth + 1, f"{where}.then"),
        per=per,
        versus=None if versus is None else _plan(versus, depth + 1, f"{where}.versus"),
        confidence=float(confidence),
        source=_choice(data.get("source", "rules"), SOURCES, f"{where}.source"),
    )


def _scope(data: Any, where: str) -> Scope:
    if not isinstance(data, dict):
        raise _fail(where, "需要一个 JSON 对象")
    unknown = set(data) - set(_SCOPE_LISTS) - {"conditions", "previous"}
    if unknown:
        raise _fail(where, f"未知的键 {sorted(unknown)}")
    lists: dict[str, list[Any]] = {}
    for key, kind in _SCOPE_LISTS.items():
        value = data.get(key, [])
        if not isinstance(value, list) or len(value) > MAX_NAMES:
            raise _fail(f"{where}.{key}", f"需要至多{MAX_NAMES}项的列表")
        for item in value:
            if not isinstance(item, kind) or isinstance(item, bool):
                raise _fail(f"{where}.{key}", f"列表项 {item!r} 类型不对")
            if isinstance(item, str) and not 0 < len(item) <= MAX_TEXT:
                raise _fail(f"{where}.{key}", f"名称长度需在1-{MAX_TEXT}字之间: {item[:20]!r}")
        lists[key] = list(value)
    conditions = data.get("conditions", [])
    if not isinstance(conditions, list) or len(conditions) > 10:
        raise _fail(f"{where}.conditions", "需要至多10项的列表")
    parsed: list[Condition] = []
    for n, c in enumerate(conditions):
        if not isinstance(c, dict) or set(c) - {"kind", "arg"} or "kind" not in c:
            raise _fail(f"{where}.conditions[{n}]", "需要 {\"kind\": …, \"arg\": …}")
        arg = c.get("arg", "")
        if not isinstance(arg, str | int | float) or isinstance(arg, bool) or (isinstance(arg, str) and len(arg) > MAX_TEXT):
            raise _fail(f"{where}.conditions[{n}].arg", f"不支持的参数 {arg!r}")
        kind = _enum(c["kind"], Cond, f"{where}.conditions[{n}].kind")
        if kind in (Cond.AMOUNT_GT, Cond.AMOUNT_LT, Cond.COUNT_GT, Cond.COUNT_LT) and not isinstance(arg, int | float):
            raise _fail(f"{where}.conditions[{n}].arg", "金额与条数条件需要数字")
        parsed.append(Condition(kind, float(arg) if isinstance(arg, int) else arg))
    previous = data.get("previous", False)
    if not isinstance(previous, bool):
        raise _fail(f"{where}.previous", "需要 true 或 false")
    return Scope(**lists, conditions=parsed, previous=previous)
