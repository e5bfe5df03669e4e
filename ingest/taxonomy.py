"""The indicator framework (财政部 项目支出绩效指标体系) and the domain's Chinese words.

Every Chinese literal that code matches against lives here, so parsers, retrieval and
answers agree on one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Category:
    """One node of the framework: a 一级 (level 1) or 二级 (level 2) indicator category."""

    code: str
    name: str  # canonical name, e.g. 社会效益指标
    short: str  # what people say, e.g. 社会效益
    parent: str = ""  # level-1 code for a level-2 category

    @property
    def level(self) -> int:
        return 2 if self.parent else 1


LEVEL1: tuple[Category, ...] = (
    Category("1", "产出指标", "产出"),
    Category("2", "效益指标", "效益"),
    Category("3", "满意度指标", "满意度"),
    Category("4", "成本指标", "成本"),
)

LEVEL2: tuple[Category, ...] = (
    Category("11", "数量指标", "数量", "1"),
    Category("12", "质量指标", "质量", "1"),
    Category("13", "时效指标", "时效", "1"),
    Category("14", "成本指标", "成本", "1"),
    Category("21", "经济效益指标", "经济效益", "2"),
    Category("22", "社会效益指标", "社会效益", "2"),
    Category("23", "生态效益指标", "生态效益", "2"),
    Category("24", "可持续影响指标", "可持续影响", "2"),
    Category("31", "服务对象满意度指标", "满意度", "3"),
    Category("41", "经济成本指标", "经济成本", "4"),
    Category("42", "社会成本指标", "社会成本", "4"),
    Category("43", "生态环境成本指标", "生态环境成本", "4"),
)

BY_CODE: dict[str, Category] = {c.code: c for c in LEVEL1 + LEVEL2}
LEVEL1_BY_NAME: dict[str, Category] = {c.name: c for c in LEVEL1}
LEVEL2_BY_NAME: dict[str, Category] = {c.name: c for c in LEVEL2}

# Extra spellings seen in real tables for a category (besides name and short form).
CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    # The 2015 template prints `社会公众或服务对象满意度指标` (under 效益指标: see KNOWN_VARIANTS).
    "31": ("满意度指标", "服务对象满意度", "满意度", "社会公众或服务对象满意度指标", "社会公众或服务对象满意度",
           "社会公众满意度指标", "服务对象满意程度"),
    "24": ("可持续影响", "可持续发展指标"),
    "23": ("生态效益", "环境效益"),
}


# Template variants that are not damage: (level-1 words as printed, level-2 code) -> the level-1
# code the framework puts it under. The 2015 template lists 满意度 as a 二级 of 效益指标.
KNOWN_VARIANTS: dict[tuple[str, str], str] = {
    ("效益指标", "31"): "3",
    ("效益", "31"): "3",
}


@cache
def variants(category: Category) -> tuple[str, ...]:
    """All spellings that name this category, longest first."""
    names = {category.name, category.short, *CATEGORY_ALIASES.get(category.code, ())}
    return tuple(sorted(names, key=len, reverse=True))


def level1_of(level2_code: str) -> Category:
    """The parent level-1 category of a level-2 code."""
    return BY_CODE[BY_CODE[level2_code].parent]


def children(level1_code: str) -> tuple[Category, ...]:
    return tuple(c for c in LEVEL2 if c.parent == level1_code)


# Table structure words.
DEPARTMENT_LABEL = "部门名称"
UNIT_LABEL = "单位"
DEFAULT_UNIT = "万元"
GRAND_TOTAL_NAMES = ("合计", "总计")


def department_total(name: str) -> bool:
    """A total row named for the whole department ("820-马踏镇部门"), above its units' rows: the table's 合计."""
    return name.endswith("部门") and len(name) > 2
HEADER_WORDS = ("项目名称", "绩效指标")
# The columns of the OCR text layout, in order.
TABLE_COLUMNS = ("项目名称", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标")
# How the name of a funding unit (an organisation) ends, as opposed to a project's.
UNIT_SUFFIXES = (
    "会", "局", "委", "办", "院", "中心", "所", "站", "馆", "队", "部", "处", "室", "厅",
    "政府", "街道", "镇", "乡", "校", "学", "集团", "公司", "社", "台", "园", "库",
)
PERIOD_LABEL = "实施周期指标值"
ANNUAL_LABEL = "年度指标值"
FUNDING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("total", "总计"),
    ("fiscal", "财政拨款"),
    ("special", "财政专户拨款"),
    ("other", "其他资金"),
)

# Misreadings OCR is known to make in category labels: (as read, meant). Applied to category
# words only (normalize.category_form), never to names, values or goals, where the same
# characters are ordinary words (`被监督`).
OCR_CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("股贫", "脱贫"),
    ("交益", "效益"),
    ("效监", "效益"),
    ("数益", "效益"),
    ("被监", "质量"),
    ("社会通", "社会效益"),
)

# Symbols OCR misreads inside values: (as read, meant). Repaired only when the other value
# of the same indicator shows the symbol at that position (`224个` beside `≥24个`).
VALUE_CONFUSIONS: frozenset[tuple[str, str]] = frozenset({("2", "≥"), ("<", "≤"), (">", "≥")})

# Header words of a spreadsheet column -> the field it holds, most specific first: the
# first keyword found in a (joined, multi-row) header cell decides.
COLUMN_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("实施周期指标值", "period_value"),
    ("周期指标值", "period_value"),
    ("年度指标值", "annual_value"),
    ("指标值", "value"),
    ("一级指标", "level1"),
    ("二级指标", "level2"),
    ("三级指标", "indicator"),
    ("指标名称", "indicator"),
    ("财政专户", "special"),
    ("财政拨款", "fiscal"),
    ("其他资金", "other"),
    ("总计", "total"),
    ("合计", "total"),
    ("资金总额", "total"),
    ("预算金额", "total"),
    ("项目名称", "project"),  # before 资金使用单位: the OCR layout says 项目名称(资金使用单位)
    ("资金使用单位", "unit_name"),
    ("预算单位", "unit_name"),
    ("绩效目标", "goal"),
    ("年度目标", "goal"),
    ("绩效指标", "indicators"),  # the packed 绩效指标 cell of the OCR layout
)
# Words a header row may carry besides the keywords above (group titles over merged cells).
HEADER_FILLER = ("资金", "金额", "万元", "指标", "单位", "序号", "备注", "项目", "(", ")")
TITLE_WORDS = ("绩效目标表", "项目支出")

# How people shorten names: a project called 信创工作经费 is asked about as 信创经费 or 信创.
PROJECT_SUFFIXES = ("工作经费", "项目经费", "专项经费", "经费", "项目", "补贴", "资金")
DEPARTMENT_ALIASES: tuple[tuple[str, str], ...] = (
    ("工商业联合会", "工商联"),
    ("人民政府", "政府"),
    ("委员会", "委"),
)
