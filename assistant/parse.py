"""Stages 2 and 3 of reading a question: operator cues, then a plan.

    links = understand.link(question, vocab)      # stage 1: names → catalog rows
    cues = read_cues(links)                      # stage 2: operators, measures, conditions
    plan = compose(links, cues)                  # stage 3: one typed Plan (with a confidence)
    parse(question, vocab)                       # all three, plus compound questions ("…、占比多少")

Each stage is a plain function of the previous one's output, testable on its own. Measures are
chosen from the evidence of what is named (an indicator, a category, a project) and the cue words;
the operation from operator cues and their arguments. Ambiguity does not pick a winner silently:
it lowers the confidence, and a name that fits several projects becomes a clarifying question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant import lexicon as lx
from assistant.plan import INDICATOR_CONDITIONS, Cond, Condition, Measure, Op, Plan, Scope
from assistant.understand import Links, department_forms, has_any, link, topic
from assistant.vocabulary import Vocabulary

_GROUPABLE = frozenset({Op.SUM, Op.COUNT, Op.MAX, Op.MIN, Op.SORT, Op.TOP, Op.LIST, Op.AVERAGE, Op.MEDIAN, Op.DIFFERENCE, Op.RATIO})


@dataclass
class Cues:
    """Stage 2: what the question's words say about the operation and the measure."""

    sum: bool = False
    average: bool = False
    median: bool = False
    maximum: bool = False
    minimum: bool = False
    bounded: bool = False  # "最多配几名": a superlative bounding a value
    compare: bool = False  # "哪个…多"
    count: str = ""  # what is counted: "projects" | "indicators" | ""
    share: bool = False
    share_weak: bool = False
    difference: bool = False
    ratio: bool = False
    sort: bool = False
    ascending: bool = False
    top: int = 0
    listing: bool = False
    exists: bool = False
    all_have: bool = False
    reverse: bool = False
    negation: bool = False
    amount: bool = False
    funding: bool = False
    goal: bool = False
    value: bool = False
    quantity: bool = False
    indicator_word: bool = False
    all_indicators: bool = False
    project_list: bool = False
    indicator_extreme: bool = False
    column: str = "total"
    column_named: bool = False
    unit: str = ""
    value_field: str = ""
    conditions: list[Condition] = field(default_factory=list)
    single_ref: bool = False
    plural_ref: bool = False
    elliptical: bool = False  # leans on the conversation ("…呢", very short)
    described: bool = False
    across: bool = False  # explicitly about every project ("哪些项目", "所有")
    kinds: bool = False  # "哪几类指标": the categories, not the rows
    by_department: bool = False  # "哪个部门预算最多": over each department's table
    rank_of: bool = False  # "预算排第几": where a project stands in the ranking
    wanted: int = 0  # "这两个": how many earlier subjects a plural reference means
    domain: bool = False  # some word of the domain
    weight: bool = False  # 权重/分值 of indicators
    per: str = ""  # "平均每台": what a per-unit amount divides by

    @property
    def ops(self) -> bool:
        return any((self.sum, self.average, self.maximum, self.minimum, self.count, self.share, self.difference,
                    self.ratio, self.sort, self.top, self.all_have))


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_SPOKEN_AMOUNT = re.compile(r"([零一二两三四五六七八九十百千]+|\d+(?:\.\d+)?)\s*(万块钱|万块|万元|万|千块钱|千块|千元|块钱|块|元)")


def cn_number(text: str) -> float:
    """A number said in characters up to the thousands ("一", "十五", "三千五百"), or written in digits."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
    return float(total + digit)


def spoken_amounts(q: str) -> str:
    """Amounts as people say them, as the comparator reads them: 一万块 → 1万元, 五千块钱 → 5000元."""
    def swap(m: re.Match[str]) -> str:
        n, unit = cn_number(m.group(1)), m.group(2)
        if unit.startswith("千"):
            n, unit = n * 1000, "元"
        shown = f"{n:g}"
        return f"{shown}万元" if unit.startswith("万") else f"{shown}元"
    return _SPOKEN_AMOUNT.sub(swap, q)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else lx.NUMERALS.get(text, 0)


def read_cues(links: Links) -> Cues:
    """Stage 2: operator, measure and condition cues of a linked question."""
    q = links.cue_text
    c = Cues()
    asks_yes_no = bool(re.search(r"(没|不)[??]?$", q))  # "都有满意度指标没": a yes/no question, not a negation
    c.sum = has_any(q, lx.SUM)
    c.median = has_any(q, lx.MEDIAN)
    c.average = has_any(q, lx.AVERAGE) or c.median  # a median is read like an average, then told apart
    c.bounded = bool(lx.BOUNDED.search(q)) and not re.search(r"哪|谁", q)
    c.maximum = has_any(q, lx.MAXIMUM) and not c.bounded
    c.minimum = has_any(q, lx.MINIMUM) and not c.bounded
    if c.maximum and c.minimum:  # "最多的和最少的": keep the first said
        first_max = min(q.find(w) for w in lx.MAXIMUM if w in q)
        first_min = min(q.find(w) for w in lx.MINIMUM if w in q)
        c.maximum, c.minimum = first_max < first_min, first_min < first_max
    c.compare = bool(lx.COMPARE.search(q))
    if c.compare and not (c.maximum or c.minimum):
        m = lx.COMPARE.search(q)
        assert m is not None
        c.maximum, c.minimum = m.group(2) in "多高大贵", m.group(2) in "少低小便宜"
    if lx.COUNT_INDICATORS.search(q) and "指标数" in q and not lx.COUNT_THING.search(q):
        c.count = "indicators"  # "项目的指标数平均是多少"
    if lx.COUNT_THING.search(q.replace("哪几", "哪些")):  # "每个项目有几个指标" counts indicators; "有满意度指标的项目有几个" projects
        c.count = "indicators" if lx.COUNT_INDICATORS.search(q) else "projects"
    if not c.count and not links.matches and not links.has_category and lx.BARE_COUNT.match(q.rstrip("?!。")):
        c.count, c.sum = "items", False  # "一共几个": the things just listed (the conversation says which)
    if not c.count and links.has_category and re.search(r"(?<!哪)(几|多少)(个|项|条)(?![^,,。?]{0,4}(台|次|名|人|家|百分点))", q):
        c.count = "indicators"  # "环境卫生保洁有几个生态效益"
    c.share = has_any(q, lx.SHARE) and not has_any(q, ("占用",))
    c.share_weak = has_any(q, lx.SHARE_WEAK)
    c.difference = bool(lx.DIFFERENCE.search(q))
    c.ratio = bool(lx.RATIO.search(q))
    c.sort = has_any(q, lx.SORT)
    c.ascending = has_any(q, lx.ASCENDING)
    top = lx.TOP.search(q)
    if top:
        c.top = _number(top.group(1) or top.group(3) or top.group(4) or "")
        if top.group(4) and re.search(r"最(低|少|小|便宜)", top.group(0)):
            c.ascending = True
    c.indicator_extreme = bool(lx.INDICATOR_EXTREME.search(q)) or (
        has_any(q, ("指标", "考核点")) and (c.maximum or c.minimum or c.sort or bool(c.top))
        and not has_any(q, lx.AMOUNT) and not links.has_category)
    nth = lx.NTH.search(q)
    if nth and not c.top:  # "预算第二高的": the ranking down to the n-th
        c.top = _number(nth.group(1))
        c.ascending = nth.group(2) in "低少小便宜"
        c.maximum = c.minimum = False
    c.listing = has_any(q, lx.LIST)
    c.exists = has_any(q, lx.EXISTS)
    c.all_have = bool(lx.ALL_HAVE.search(q)) and (has_any(q, (*lx.QUESTION_MARKS, "没有")) or asks_yes_no) \
        and not lx.LIST_ALL.search(q)  # "指标都有什么" lists them
    c.reverse = has_any(q, lx.REVERSE)
    plain = re.sub(r"(没|不)[??]?$", "", q.replace("有没有", "").replace("是不是", ""))
    for phrase in (*lx.NO_NUMBER, *lx.VAGUE):  # "没法量化" describes values; it does not negate a category
        plain = plain.replace(phrase, "")
    c.negation = has_any(lx.EMPTY_ANNUAL.sub("", lx.EMPTY_VALUE.sub("", plain)), lx.NEGATION)
    c.funding = has_any(q, lx.FUNDING)
    unproject = q.replace("项目", "Ⓧ")  # "项目的" is not "目的"
    c.goal = has_any(unproject, lx.GOAL) and not has_any(q, ("目标值",))
    if c.goal and not has_any(unproject, lx.GOAL_STRONG) and re.search(r"多少|几|百分之", q):
        c.goal = False  # "年度目标是多少": a target value, not the goal text
    c.value = has_any(q, lx.VALUE)
    c.quantity = bool(lx.QUANTITY.search(q)) and not re.search(r"多少元|几元", q)
    c.indicator_word = "指标" in q or bool(lx.ASSESSED.search(q))
    c.all_indicators = has_any(q, lx.ALL_INDICATORS)
    c.project_list = has_any(q, lx.PROJECT_LIST) or bool(lx.LIST_PROJECTS_OF.search(q))
    for word, column in lx.COLUMN_WORDS:
        if word in q:
            c.column, c.column_named = column, True
            break
    if len({column for word, column in lx.COLUMN_WORDS if word in q}) >= 2 or lx.ALL_FROM.search(q):
        c.funding = True  # "是财政拨款还是其他资金": where the money comes from, not one column
    c.amount = has_any(q, lx.AMOUNT) or (c.column_named and (c.sum or c.average or c.maximum or c.minimum)) \
        or bool(lx.PROJECT_MONEY.search(q)) or (c.column_named and bool(re.search(r"多少|金额|几", q)))
    if lx.YUAN.search(q) and not c.quantity:
        c.unit, c.amount = "元", True
    elif has_any(q, lx.WAN):
        c.unit = "万元"
    annual, period = has_any(q, lx.ANNUAL_WORDS), has_any(q, lx.PERIOD_WORDS)
    c.value_field = "annual" if annual and not period else "period" if period and not annual else ""
    if has_any(q, lx.ACTUAL_WORDS):
        c.value_field = "actual"
    elif has_any(q, lx.SCORE_WORDS) and not has_any(q, ("满分", "怎么")):  # "90%以上得满分" is a target
        c.value_field = "score"
    c.described = has_any(q, lx.DESCRIBED)
    c.single_ref = has_any(re.sub(lx.NOT_A_PRONOUN, "", q), lx.SINGLE_REF)
    if c.single_ref and c.described and not has_any(q, ("它", "其", "该")):
        # "给雇员发钱的那个项目": a description, not a pointer back at the conversation.
        head = re.split("|".join(lx.DESCRIBED), q)[0]
        c.single_ref = len(re.sub(r"[的那这个是哪些么呢吗?]", "", head)) < 2
    c.plural_ref = has_any(q, lx.PLURAL_REF)
    c.across = has_any(q, lx.ACROSS_PROJECTS)
    c.kinds = bool(lx.KINDS.search(q))
    c.rank_of = bool(lx.RANK_OF.search(q))
    c.by_department = (has_any(q, lx.BY_DEPARTMENT) or bool(lx.SOME_DEPARTMENTS.search(q))) \
        and len(links.departments) != 1
    if len(links.departments) >= 2 and not links.matches and not lx.OVER_PROJECTS.search(q):
        c.by_department = True  # "番禺区教育局和花都区司法局哪个预算多" (not "…的项目里预算最大的是哪个")
    wanted = lx.WANTED.search(q)
    if wanted or has_any(q, lx.PAIR_REF):
        c.plural_ref = True
        c.wanted = 3 if wanted and wanted.group(2) == "三" else 2
    c.elliptical = q.rstrip("?").endswith("呢") or len(q.rstrip("?")) <= 6
    c.weight = has_any(q, lx.WEIGHT)
    c.per = _per_unit(q)
    c.domain = has_any(q, lx.DOMAIN_WORDS) or c.funding or c.goal or c.amount or c.indicator_word
    c.conditions = _conditions(links, c)
    return c


def _per_unit(q: str) -> str:
    """"平均一台电脑" → 台, "每人一年拿" → 人, "每个行政村" → 行政村; "" when not asked per unit."""
    # "一个人平均多少钱", "一台电脑平均": the unit said before 平均
    q = re.sub(r"(?:一|每)(个|位|名|台|套|家|户|辆|所)([\u4e00-\u9fff]{0,3}?)平均", r"平均每\1\2的", q)
    m = lx.PER_UNIT.search(q)
    if m is None:
        return ""
    unit, noun = m.group("unit") or "", m.group("noun") or ""
    if m.group(0).startswith("人均"):
        return "人"
    per = noun if unit in ("", "个") and noun else unit
    if not per or per == "个" or any(per.startswith(w) for w in lx.PER_NOT):
        return ""
    return per


def _about_word(links: Links) -> str:
    """"关于绿化的指标" → 绿化: the question's own word, without names, years, cue and filler words."""
    word = topic(links)
    for synonym, _ in lx.SYNONYMS:
        word = word.replace(synonym, "")
    word = re.sub(lx.DESCRIPTION_FILLER, "", word)
    return re.sub(r"20\d\d年?|考核|涉|提|是哪个|哪个|啥|什么", "", word)


def _conditions(links: Links, c: Cues) -> list[Condition]:
    q = links.cue_text
    out: list[Condition] = []
    if lx.EMPTY_ANNUAL.search(q) or lx.ALL_FILLED.search(q):
        out.append(Condition(Cond.EMPTY_ANNUAL))
    elif lx.EMPTY_VALUE.search(q) and "指标" in q:
        out.append(Condition(Cond.EMPTY_VALUE))
    if has_any(q, lx.NO_NUMBER):  # "定性描述、没有具体数字的": no number, which is not the same as unverifiable
        out.append(Condition(Cond.NO_NUMBER))
    elif has_any(q, lx.VAGUE):
        out.append(Condition(Cond.VAGUE_VALUE))
    if has_any(q, lx.DIFFERENT) and "年度" in q and "周期" in q:
        out.append(Condition(Cond.VALUES_DIFFER))
    if links.value_token and "指标" in q and (c.listing or c.count) and not links.mentions \
            and not lx.COUNT_BOUND.search(q):
        out.append(Condition(Cond.VALUE_CONTAINS, links.value_token))
    out.extend(Condition(Cond.EXCLUDES, name) for m in links.excluded for name in m.names)
    # Several rows or projects are asked for, not the one a description means ("跟保障有关的那个项目花多少钱").
    about = lx.ABOUT.search(q) and not links.matches and not links.mentions and not links.unknown_name and not c.goal \
        and (c.listing or c.exists or c.count or "哪" in q or not c.value) and not has_any(q, lx.ONE_DESCRIBED)
    word = _about_word(links) if about else ""
    rows, projects = "指标" in q or "考核" in q, "项目" in q or "经费" in q
    quoted = lx.QUOTED_WORD.search(links.text)
    if quoted and (rows or projects):  # "搜一下含“雇员”的指标": the word as quoted
        out.append(Condition(Cond.ROW_MENTIONS if rows else Cond.PROJECT_MENTIONS, quoted.group(1)))
    elif 2 <= len(word) <= 8 and (rows or projects):  # "关于绿化的指标", "有没有跟审计有关的项目": what speaks of it
        out.append(Condition(Cond.ROW_MENTIONS if rows else Cond.PROJECT_MENTIONS, word))
    counted = lx.COUNT_BOUND.search(q)
    if counted:  # "指标少于4个的项目": a bound on how many indicators a project has
        less = counted.group(2) in lx.LESS_WORDS
        out.append(Condition(Cond.COUNT_LT if less else Cond.COUNT_GT, float(_number(counted.group(3)))))
    q = spoken_amounts(q)  # "不到一万块" → "不到1万元"
    span = lx.AMOUNT_RANGE.search(q)
    if span and not counted:  # "1万到5万之间"
        scale = 1 / 10000 if span.group(5) == "元" else 1.0
        out.append(Condition(Cond.AMOUNT_GT, float(span.group(1)) * scale))
        out.append(Condition(Cond.AMOUNT_LT, float(span.group(4)) * scale))
    m = None if span else lx.COMPARATOR.search(q)
    if m and not counted and not links.mentions and not links.value_token.endswith(("%", "个", "次", "台", "名", "家", "人")):
        word = m.group(1) or m.group(6) or ""
        number = float(m.group(2) or m.group(4))
        unit = m.group(3) or m.group(5) or ""
        amount = number / 10000 if unit == "元" else number
        kind = Cond.AMOUNT_LT if word in lx.LESS_WORDS else Cond.AMOUNT_GT
        out.append(Condition(kind, amount))
    # "两个健康那个项目满意度要多少" describes one project; "设置了满意度指标的项目有哪些" asks for several.
    aggregate = c.sum or c.average or c.maximum or c.minimum or c.sort or bool(c.top) or c.share
    about_projects = (c.project_list or "项目" in q) and not (
        c.described and not (c.listing or c.count or c.exists or aggregate or c.negation)) and not c.single_ref
    if lx.LISTS_INDICATORS.search(q):  # "…的项目有哪些产出指标": the indicators are listed, not projects
        about_projects = False
    compares_values = (c.maximum or c.minimum) and c.value and not c.indicator_extreme  # "满意度要求最高"
    rows_conditioned = any(cd.kind in INDICATOR_CONDITIONS for cd in out)  # the category narrows the rows
    if links.has_category and about_projects and not links.matches and not c.all_have and not compares_values \
            and not rows_conditioned:
        lacks = c.negation and not c.all_have
        for code in (*links.level2, *links.level1):
            out.append(Condition(Cond.LACKS_CATEGORY if lacks else Cond.HAS_CATEGORY, code))
    if c.column_named and c.column != "total" and "项目" in q and not links.matches and not c.funding \
            and not (c.sum or c.average or c.maximum or c.minimum or c.sort or c.top):
        out.append(Condition(Cond.USES_COLUMN, c.column))
    return out


# -- stage 3 ------------------------------------------------------------------------------------------
def choose_measure(links: Links, c: Cues) -> tuple[Measure, float]:
    """What is measured, and how sure the words make it (0..1)."""
    named = bool(links.matches or links.unknown_name)  # an unknown name is resolved (or reported) later
    aggregate = c.sum or c.average or c.share or c.difference or c.ratio or c.sort or bool(c.top) or c.rank_of
    if c.weight:
        return Measure.WEIGHT, 0.9
    if c.value_field in ("actual", "score") and named and not links.mentions and not aggregate:
        return Measure.INDICATORS, 0.85  # "储备粮项目的实际完成值": each row of the project, with what it achieved
    if c.goal and c.sum and named and not c.amount and has_any(links.cue_text, lx.GOAL_STRONG):
        return Measure.GOAL, 0.8  # "目标里提到的现有设备一共几台": quantities the goal text states
    if c.per and (named or c.single_ref) and (c.amount or c.average or has_any(links.cue_text, lx.PAID)):
        return Measure.AMOUNT, 0.85  # "信创平均一台电脑多少钱": the amount, divided per unit
    if c.funding and not aggregate:
        return Measure.FUNDING, 0.9
    if c.column_named and named and not aggregate and has_any(links.cue_text, (*lx.QUESTION_MARKS, "是")) \
            and not links.has_category and not links.mentions:
        return Measure.FUNDING, 0.8
    if c.column_named and not named and "项目" not in links.cue_text and not aggregate and c.exists:
        return Measure.FUNDING, 0.6  # "有没有其他资金": about the project talked about
    if c.count == "indicators" or c.indicator_extreme:
        per_project = c.maximum or c.minimum or c.sort or bool(c.top) or c.average
        return (Measure.INDICATOR_COUNT if per_project else Measure.INDICATORS), 0.9
    if any(cd.kind in (Cond.AMOUNT_GT, Cond.AMOUNT_LT, Cond.COUNT_GT, Cond.COUNT_LT) for cd in c.conditions) \
            and not aggregate:
        return Measure.PROJECTS, 0.8
    row_condition = any(cd.kind in INDICATOR_CONDITIONS for cd in c.conditions)
    if row_condition:
        return Measure.INDICATORS, 0.9
    if any(cd.kind in (Cond.HAS_CATEGORY, Cond.LACKS_CATEGORY, Cond.USES_COLUMN, Cond.PROJECT_MENTIONS)
           for cd in c.conditions):
        if c.amount and (aggregate or c.maximum or c.minimum):
            return Measure.AMOUNT, 0.85  # "没有满意度指标的项目一共多少钱": money over those projects
        return Measure.PROJECTS, 0.85
    if c.reverse and not named and not aggregate and not (c.maximum or c.minimum or c.amount or c.count or c.funding):
        if c.goal and not c.indicator_word:
            return Measure.GOAL, 0.75  # "哪个项目的目标里提到了乡村振兴"
        return Measure.INDICATORS, 0.75  # "节约用水用电是哪个项目提出的": rows, then their project
    if links.mentions and not (c.amount and aggregate):
        if c.reverse or (c.listing and not named):
            return Measure.INDICATORS, 0.8
        return Measure.INDICATOR_VALUE, 0.9
    if c.quantity and not (c.amount and not c.value):
        return Measure.INDICATOR_VALUE, 0.8
    if links.has_category:
        asks_rows = c.listing or c.exists or c.all_indicators or c.all_have or c.count
        if c.value and not asks_rows:
            return Measure.INDICATOR_VALUE, 0.8
        return Measure.INDICATORS, 0.85
    if c.kinds and named and not links.has_category:
        return Measure.PROJECTS, 0.8  # "有哪几类指标": what its indicators cover
    if links.foreign and named:
        return Measure.INDICATORS, 0.85  # "X有没有设“人均培训成本”": an indicator name the project lacks
    if c.indicator_word and (c.listing or c.exists or c.all_indicators or c.all_have):
        return Measure.INDICATORS, 0.85
    if c.goal and not c.indicator_word and not (aggregate or c.maximum or c.minimum or c.count):
        return Measure.GOAL, 0.85
    if c.amount or (c.column_named and aggregate):
        return Measure.AMOUNT, 0.85
    if c.count in ("projects", "items") or c.project_list:
        return Measure.PROJECTS, 0.8
    if c.by_department and (c.maximum or c.minimum or c.sort or c.top) and lx.PROJECT_EXTREME.search(links.cue_text):
        return Measure.PROJECTS, 0.8  # "哪个部门的项目最多"
    if c.sum and named and not c.amount and re.search(r"(几|多少)(个|家|名|次|台|套|场)(?!项目|指标)", links.cue_text):
        return Measure.INDICATOR_VALUE, 0.7  # "要走访多少个单位,…加一起": counted things a value states
    if (c.share or c.share_weak) and not (c.amount or c.column_named or named or links.departments) \
            and not (c.sum or c.average or c.difference or c.ratio or c.sort or c.top or c.maximum or c.minimum) \
            and len(topic(links)) >= 6:
        return Measure.INDICATOR_VALUE, 0.5  # "要替换的终端设备占多大比例": a proportion some row states, not money
    if aggregate or c.maximum or c.minimum:
        return Measure.AMOUNT, 0.6  # "哪个最多", "加起来多少": about money unless said otherwise
    if c.indicator_word and named and not c.listing and has_any(links.cue_text, lx.VALUE_FIELDS):
        return Measure.INDICATOR_VALUE, 0.7  # "巩固成果那个指标的实施周期值": a value, of the row the words fit
    if c.indicator_word:
        return Measure.INDICATORS, 0.7
    if c.value and (named or links.departments):
        return Measure.INDICATOR_VALUE, 0.6
    if named:
        # a bare name, or "有哪几类指标": an overview of the project
        return Measure.PROJECTS, (0.8 if c.kinds else 0.5)
    if c.value:
        return Measure.INDICATOR_VALUE, 0.4
    return Measure.INDICATORS, 0.2


def choose_op(links: Links, c: Cues, measure: Measure) -> tuple[Op, float]:
    """The operation over the scope, and how sure the words make it (0..1)."""
    named = len(links.matches) + bool(links.unknown_name)
    several = named > 1 or sum(len(m.names) for m in links.matches) > 1
    if links.outside:
        return Op.REFUSE, 1.0
    several = several or (len(links.departments) >= 2 and not named) or bool(other_departments(links))
    if measure is Measure.WEIGHT:
        if c.sum:
            return Op.SUM, 0.85
        if c.maximum or c.minimum:
            return (Op.MAX if c.maximum else Op.MIN), 0.85
        if c.sort:
            return Op.SORT, 0.85
        return Op.LOOKUP, 0.8
    if c.per and measure is Measure.AMOUNT and (named or c.single_ref):
        return Op.PER_UNIT, 0.85
    if c.rank_of and measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT, Measure.PROJECTS, Measure.FUNDING):
        return Op.SORT, 0.85
    if c.difference and (several or c.plural_ref):
        return Op.DIFFERENCE, 0.9
    if c.ratio and (several or c.plural_ref):
        return Op.RATIO, 0.9  # before share: "A是B的百分之几" compares two, it is not a share of a whole
    if (c.share or (c.share_weak and measure is Measure.AMOUNT)) and measure in (Measure.AMOUNT, Measure.PROJECTS,
                                                                                  Measure.FUNDING):
        return Op.SHARE, 0.9
    if c.top and measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT, Measure.PROJECTS):
        return Op.TOP, 0.9
    if c.sort and measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT, Measure.PROJECTS):
        return Op.SORT, 0.9
    if c.average and measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT, Measure.PROJECTS):
        return (Op.MEDIAN if c.median else Op.AVERAGE), 0.9
    if any(cd.kind in INDICATOR_CONDITIONS for cd in c.conditions) and measure is Measure.INDICATORS \
            and (c.exists or c.all_have):
        return Op.EXISTS, 0.85  # "指标值都填了吗": is there any row with the condition
    if c.all_have and measure in (Measure.INDICATORS, Measure.PROJECTS, Measure.INDICATOR_VALUE):
        return Op.ALL_HAVE, 0.85
    if (c.maximum or c.minimum) and measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT, Measure.PROJECTS,
                                                Measure.FUNDING):
        if named == 1 and not several and not c.compare and not c.across and measure is not Measure.INDICATOR_COUNT:
            return Op.LOOKUP, 0.6  # "信创经费最多能花多少": one project's amount
        return (Op.MAX if c.maximum else Op.MIN), 0.9
    if c.count and measure in (Measure.PROJECTS, Measure.INDICATORS):
        return Op.COUNT, 0.9
    if c.sum and measure in (Measure.INDICATOR_VALUE, Measure.GOAL) and named and not links.has_category:
        return Op.SUM, 0.75  # "商会企业党组织加一起": the quantities one text states, added
    if c.sum and measure in (Measure.AMOUNT, Measure.INDICATOR_COUNT, Measure.PROJECTS, Measure.FUNDING):
        if named == 1 and not several and not links.departments:
            return Op.LOOKUP, 0.8
        return Op.SUM, 0.9
    if c.reverse and not named and measure is Measure.GOAL:
        return Op.REVERSE, 0.75
    if c.reverse and not named and measure in (Measure.INDICATORS, Measure.INDICATOR_VALUE) and (
            links.mentions or links.value_token or not links.has_category):
        return Op.REVERSE, 0.85
    if measure in (Measure.INDICATORS, Measure.INDICATOR_VALUE) and (c.maximum or c.minimum) and not named:
        return Op.LIST, 0.6  # "满意度要求最高的": values are text; show them side by side
    has_row_conditions = bool(c.conditions)
    if measure in (Measure.FUNDING, Measure.GOAL) and links.departments and not named and not c.described:
        return Op.LIST, 0.7  # "工商联的预算都是财政拨款吗": every project of the department
    if measure is Measure.FUNDING and not named and (c.across or c.plural_ref or "都" in links.cue_text
                                                     or lx.ALL_FROM.search(links.cue_text)):
        return Op.LIST, 0.75  # "这些项目的钱都是财政拨款吗": every project's sources
    if c.exists and measure is Measure.FUNDING:
        return Op.LOOKUP, 0.8
    if c.exists and not c.listing and (named or has_row_conditions or c.project_list or links.mentions
                                       or (measure is Measure.INDICATORS and links.has_category)) \
            and not (links.mentions and measure is Measure.INDICATOR_VALUE and named):
        return Op.EXISTS, 0.8
    if any(cd.kind in INDICATOR_CONDITIONS for cd in c.conditions) and measure is Measure.INDICATORS:
        return (Op.EXISTS if c.exists and not c.listing else Op.LIST), 0.85
    if has_row_conditions and not named:
        return Op.LIST, 0.85
    if measure is Measure.PROJECTS and not named:
        return Op.LIST, 0.8
    if c.listing and measure is Measure.INDICATORS:
        return Op.LIST, 0.85
    if c.listing and measure in (Measure.AMOUNT, Measure.GOAL, Measure.FUNDING) and not named \
            and (measure is Measure.AMOUNT or c.across):
        return Op.LIST, 0.7
    if named or links.mentions:
        return Op.LOOKUP, 0.8
    if measure in (Measure.AMOUNT, Measure.FUNDING, Measure.GOAL):
        if links.departments and measure is Measure.AMOUNT and not c.described:
            return Op.SUM, 0.6
        if links.departments and not c.described:
            return Op.LIST, 0.6  # "工商联的预算都是财政拨款吗": every project of the department
        return Op.LOOKUP, 0.6  # a described project: retrieval chooses it
    if measure is Measure.INDICATORS and links.has_category:
        return Op.LIST, 0.8
    if measure is Measure.INDICATOR_VALUE:
        return Op.LOOKUP, 0.5
    if measure is Measure.INDICATOR_COUNT:
        return Op.COUNT, 0.6
    return Op.SEARCH, 0.3


def _position(links: Links, department: str) -> int:
    """Where the question first names a department (any of its forms)."""
    return min((i for f in department_forms(department) if (i := links.text.find(f)) >= 0), default=len(links.text))


def other_departments(links: Links) -> list[str]:
    """Departments named beside one named project but not its own: "A是B部门合计的几倍" compares the
    project with that department's whole table."""
    if len(links.matches) != 1 or len(links.matches[0].names) != 1:
        return []
    own = {p.department for p in links.projects}
    return [d for d in links.departments if d not in own]


def scope_of(links: Links, c: Cues) -> Scope:
    s = Scope()
    for m in sorted(links.matches, key=lambda m: links.text.find(m.text)):
        s.projects.extend(n for n in m.names if n not in s.projects)
        s.project_ids.extend(p.id for p in m.projects if p.id not in s.project_ids)
    s.departments = list(links.departments)
    s.years = list(links.years)
    s.level1, s.level2 = list(links.level1), list(links.level2)
    names = list(dict.fromkeys(i.indicator for i in links.mentions))
    if links.foreign and not links.mentions and links.matches:
        s.indicators = list(links.foreign)  # "商会建设有没有绿化覆盖率这个指标": a name this project lacks
    if links.mentions:
        s.indicators = names
        if links.matches or links.mentioned_by_value:
            s.indicator_ids = [i.id for i in links.mentions]
    s.conditions = list(c.conditions)
    if has_any(links.cue_text, lx.TIME_WORDS) and not s.has_category and not s.indicators and links.matches:
        s.level2 = ["13"]  # "电脑啥时候付款": the project's timeliness indicator
    return s


def compose(links: Links, c: Cues) -> Plan:
    """Stage 3: the plan for a linked question and its cues."""
    if links.outside or lx.WRITING_TASK.search(links.text):
        return Plan(Op.REFUSE, Measure.PROJECTS, confidence=1.0)
    measure, sure_measure = choose_measure(links, c)
    op, sure_op = choose_op(links, c, measure)
    if op is Op.REFUSE:
        return Plan(Op.REFUSE, confidence=1.0)
    if op is Op.LIST and measure is Measure.INDICATOR_VALUE:
        measure = Measure.INDICATORS
    if op is Op.COUNT and measure is Measure.INDICATOR_COUNT:
        measure = Measure.INDICATORS
    plan = Plan(op, measure, scope_of(links, c), column=c.column if measure is Measure.AMOUNT else "total",
                unit=c.unit or ("%" if op is Op.SHARE else "万元" if measure in (Measure.AMOUNT, Measure.FUNDING) else ""),
                value_field=c.value_field,
                order="asc" if c.ascending or (op is Op.TOP and c.minimum) else "desc")
    if op is Op.TOP:
        plan.k = max(1, min(c.top or 3, 100))
    if op is Op.PER_UNIT:
        plan.per = c.per
    others = other_departments(links)
    if op in (Op.DIFFERENCE, Op.RATIO) and others and plan.measure not in (Measure.INDICATOR_VALUE, Measure.WEIGHT):
        # "村组干部报酬是白云区工商联全部项目合计的几倍": one operand is that department's whole table, the
        # other the project; in the order the question says them.
        plan.measure = Measure.AMOUNT
        table = Scope(departments=others, years=list(links.years))
        project = replace(plan.scope, departments=[d for d in plan.scope.departments if d not in others])
        department_first = _position(links, others[0]) < links.text.find(links.matches[0].text)
        first, second = (table, project) if department_first else (project, table)
        plan.scope = first
        plan.versus = Plan(Op.LOOKUP if second is project else Op.SUM, Measure.AMOUNT, second, column=plan.column,
                           unit=plan.unit, confidence=plan.confidence)
    plan.position = op is Op.SORT and c.rank_of
    if op is Op.RATIO and lx.RATIO_PERCENT.search(links.cue_text):
        plan.unit = "%"
    if op is Op.SHARE and plan.column != "total" and len(plan.scope.project_ids) == 1 \
            and not has_any(links.cue_text, lx.WHOLE_WORDS):
        plan.group = "project"  # "财政拨的钱在图书馆运行中占比": a column's share of the project's own total
    if c.by_department and op in _GROUPABLE and measure in (Measure.AMOUNT, Measure.PROJECTS, Measure.INDICATOR_COUNT):
        plan.group = "department"
    if op in (Op.MAX, Op.MIN):
        plan.order = "desc" if op is Op.MAX else "asc"
    plan.confidence = round(min(sure_measure, sure_op), 3)
    return plan


def asks_something(links: Links, c: Cues) -> bool:
    """The question says what it wants, not only whom it is about."""
    return bool(c.amount or c.funding or c.goal or c.value or c.quantity or c.indicator_word or links.has_category
                or links.mentions or c.ops or c.listing or c.exists
                or any(cd.kind is not Cond.EXCLUDES for cd in c.conditions))


@dataclass
class Parsed:
    """A question read: the links, the cues and the plan they make."""

    links: Links
    cues: Cues
    plan: Plan


_COVERED = ({Measure.INDICATORS, Measure.INDICATOR_VALUE}, {Measure.AMOUNT, Measure.FUNDING})


_AND = re.compile(r"和|与|及|以及|跟|还有")


def _two_subjects(links: Links, plan: Plan, vocab: Vocabulary) -> Plan | None:
    """"A局的X和B镇的Y分别是多少": two lookups, each about its own department's row, answered one after the
    other (never combined). None unless both halves name their own department and a row of it."""
    if len(links.departments) != 2 or plan.op not in (Op.LOOKUP, Op.LIST) or plan.group:
        return None
    first, second = sorted(links.departments, key=lambda d: _position(links, d))
    cut = _position(links, second)
    joins = [m for m in _AND.finditer(links.text, 0, cut) if m.start() > _position(links, first)]
    if not joins:
        return None
    left, right = links.text[: joins[-1].start()], links.text[joins[-1].end():]
    halves = []
    for text in (left, right):
        one = link(text, vocab)
        if len(one.departments) != 1 or not (one.mentions or one.matches):
            return None
        halves.append(compose(one, read_cues(one)))
    a, b = halves
    if any(h.op not in (Op.LOOKUP, Op.LIST) for h in halves):
        return None
    if a.measure is Measure.PROJECTS and b.measure is not Measure.PROJECTS:
        # "A的X和B的Y预算分别多少": what is asked is said once, at the end
        a = replace(a, measure=b.measure, column=b.column, unit=b.unit, value_field=b.value_field)
    a.then = b
    a.confidence = min(a.confidence, b.confidence, plan.confidence)
    return a


def _covered(first: Plan, second: Plan) -> bool:
    if second.op in (Op.SEARCH, Op.REFUSE):
        return True
    if second.op is Op.LOOKUP and (second.measure == first.measure
                                   or any({first.measure, second.measure} <= group for group in _COVERED)):
        return True
    return (second.op, second.measure) == (first.op, first.measure)


def _chosen_then(links: Links, cues: Cues, plan: Plan, vocab: Vocabulary) -> Plan | None:
    """"预算最少的项目有几个指标": the extreme (or top-k) picks projects, the rest of the question is asked
    of them, as a `then` plan over the previous result."""
    m = lx.CHOSEN_THEN.match(links.text)
    if m is None or links.matches:
        return None
    first_links = link(m.group(1), vocab)
    first_cues = read_cues(first_links)
    first = compose(first_links, first_cues)
    if first.op not in (Op.MAX, Op.MIN, Op.TOP):
        return None
    rest_links = link(m.group(2), vocab)
    rest_cues = read_cues(rest_links)
    measured = (rest_cues.amount or rest_cues.funding or rest_cues.goal or rest_cues.value or rest_cues.indicator_word
                or rest_cues.count or rest_cues.sum or rest_cues.average or rest_cues.share or rest_links.has_category
                or rest_links.mentions)
    if not measured or rest_cues.maximum or rest_cues.minimum:  # "…的五个项目是哪些": no second question
        return None
    second = compose(rest_links, rest_cues)
    if second.op in (Op.SEARCH, Op.REFUSE) or (second.op, second.measure) == (first.op, first.measure):
        return None
    if second.op is Op.LIST and second.measure is Measure.INDICATORS:
        second.op = Op.LOOKUP
    second.scope.previous = True
    first.scope.departments = list(links.departments) or first.scope.departments
    first.scope.years = list(links.years) or first.scope.years
    first.then = second
    return first


def _measured(links: Links, c: Cues) -> bool:
    """The words say what is measured (money, a goal, a value, indicators), not only an operator."""
    return bool(c.amount or c.funding or c.goal or c.value or c.quantity or c.indicator_word or c.weight
                or links.has_category or links.mentions or c.count)


def parse(question: str, vocab: Vocabulary, within: list[str] | None = None) -> Parsed:
    """Read one question into a plan; compound questions become `then` chains. `within`: departments the
    conversation is about, where names are looked for when the question names no department."""
    links = link(question, vocab, within=within)
    cues = read_cues(links)
    plan = compose(links, cues)
    chained = _chosen_then(links, cues, plan, vocab)
    if chained is not None:
        return Parsed(links, cues, chained)
    both = _two_subjects(links, plan, vocab)
    if both is not None:
        return Parsed(links, cues, both)
    clauses = [s for s in re.split(lx.CLAUSE_SPLIT.pattern + "|、", links.text) if len(s) >= 2]
    if len(clauses) < 2 or plan.op in (Op.REFUSE, Op.PER_UNIT):
        return Parsed(links, cues, plan)  # "按雇员数算,一个人平均多少钱": one division, said in two parts
    first_links = link(clauses[0], vocab)
    first_cues = read_cues(first_links)
    if not asks_something(first_links, first_cues):
        return Parsed(links, cues, plan)  # "单位换信创终端那个项目,职工满意度目标定的多少": a subject, then the question
    first = compose(first_links, first_cues)
    if plan.op in (Op.SORT, Op.TOP) and first.op in (Op.MAX, Op.MIN):
        return Parsed(links, cues, plan)  # "哪个项目钱多哪个少,排一下": the ranking says both
    chain = first
    for clause in clauses[1:]:
        clause_links = link(clause, vocab)
        clause_cues = read_cues(clause_links)
        if clause_links.matches or clause_links.mentions or not (clause_cues.ops or clause_cues.domain):
            return Parsed(links, cues, plan)  # names of its own: one plan over all names reads it better
        if not _measured(clause_links, clause_cues) and plan.op is not first.op and clause_cues.ops:
            return Parsed(links, cues, plan)  # "…走访多少个单位,商会企业党组织加一起": an operator on the same thing
        second = compose(clause_links, clause_cues)
        if _covered(chain, second) or first.op in (Op.SEARCH, Op.REFUSE):
            continue
        second.scope.previous = True
        chain.then = second
        chain = second
    if first.then is None:
        return Parsed(links, cues, plan)
    # The first clause's plan reads the names of the whole question (a department named later).
    first.scope = plan.scope if plan.op is first.op else first.scope
    return Parsed(links, cues, first)
