"""Header words in one place: which column or key/value label holds which field.

Tables from different regions name the same field differently (项目名称 / 项目支出名称, 预算数 /
资金总额 / 年度本级预算金额, 指标值 / 目标值 / 指标值及单位, 度量单位 / 计量单位). Every reader asks
this module; a new spelling is one more word in a table below, no code change elsewhere.

Two vocabularies:
- COLUMN_WORDS: the title of a grid column → the field (role) its cells hold;
- KEY_WORDS: the label of a key/value header block (申报表: `项目名称 | 雾炮车… | 主管部门 | …`).
A header cell is compared without spaces and without a trailing remark in brackets
(`指标值(包含数字及文字描述)`, `资金情况(万元)`): the whole cell first, then the longest word it contains.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.normalize import clean, simplify_chars

# --- grid columns ----------------------------------------------------------------------------

# role -> header words. Order inside a role does not matter: the longest word found in a cell wins.
COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "unit_name": ("资金使用单位", "单位名称", "预算单位", "实施单位", "部门名称", "单位(部门)名称"),
    "project": ("项目名称", "项目支出名称", "二级项目名称", "项目(资金使用单位)"),
    "total": (
        "总计", "合计", "预算数", "资金总额", "年度资金总额", "年度本级预算金额", "预算金额", "年度预算金额", "预算资金",
        "全年预算数", "年度预算数", "年初预算数", "项目资金", "项目金额", "资金合计", "项目总额", "年度预算", "预算总额",
        "部门预算", "整体支出预算",
    ),
    "fiscal": ("财政拨款", "财政拨款数", "财政资金", "本级财政资金", "一般公共预算", "一般公共预算拨款"),
    "special": ("财政专户拨款", "财政专户", "财政专户管理资金"),
    "other": ("其他资金", "其他来源资金", "自筹资金", "单位自筹"),
    "goal": ("绩效目标", "年度目标", "年度绩效目标", "本年度绩效目标", "项目绩效目标", "年度总体目标", "绩效目标内容"),
    "period_goal": ("实施期目标", "实施期绩效目标", "中长期目标"),
    "level1": ("一级指标", "一级指标名称"),
    "level2": ("二级指标", "二级指标名称"),
    "indicator": ("三级指标", "三级指标名称", "指标名称", "绩效指标名称", "具体指标", "指标内容"),
    "period_value": ("实施周期指标值", "周期指标值", "实施期指标值", "中期指标值"),
    "annual_value": ("年度指标值", "年度目标值", "本年度指标值", "年度计划值", "预期指标值"),
    "value": ("指标值", "目标值", "指标值及单位", "绩效指标值", "指标目标值", "标准值", "计划值", "预期目标值", "目标值及单位"),
    "unit": ("度量单位", "计量单位", "计算单位", "指标单位"),
    # 指标性质 holds `≥` in one template and `正向` in another: the cells decide (ingest.align).
    "qualifier": ("指标性质", "指标方向", "指标方向性", "比较符", "比较符号", "指标属性", "指标值类型"),
    "weight": ("权重", "分值", "权重分值", "指标权重", "权重(%)", "指标分值"),
    "actual_value": ("实际完成值", "全年实际值", "实际完成情况", "实际值", "完成值", "全年实际完成值", "实际完成", "全年完成值"),
    "score": ("得分", "自评得分", "评价得分"),
    "deviation": ("偏差原因", "偏差原因分析", "偏差原因分析及改进措施", "未完成原因", "偏差原因及改进措施",
                  "未完成原因及拟采取的改进措施", "未完成原因分析", "未完成原因和改进措施"),
    "note": ("备注", "说明"),
    "standard": ("绩效标准", "评分标准", "评(扣)分标准", "计分方法", "指标解释", "指标说明"),
    # The OCR layout's packed column: every indicator of a project in one cell.
    "indicators": ("绩效指标",),
}
# Words that name a column only when they are the whole cell (too common inside longer titles).
COLUMN_EXACT: dict[str, str] = {"项目": "project", "金额": "total", "单位": "unit", "符号": "qualifier", "指标": "indicator"}

# Roles of the indicator grid, and of the project part of a multi-project table.
GRID_ROLES = frozenset({
    "level1", "level2", "indicator", "value", "period_value", "annual_value", "unit", "qualifier", "weight",
    "actual_value", "score", "deviation", "note", "standard",
})
PROJECT_ROLES = frozenset({"unit_name", "project", "total", "fiscal", "special", "other", "goal", "period_goal"})
AMOUNT_ROLES = ("total", "fiscal", "special", "other")
VALUE_ROLES = ("value", "period_value", "annual_value")
SELF_EVALUATION_ROLES = frozenset({"actual_value", "score", "deviation"})
# A header row names at least two of these (with the indicator's own name, 三级指标).
LEVEL_ROLES = frozenset({"level1", "level2", "indicator"})

# --- key/value header blocks (申报表 forms) --------------------------------------------------------

KEY_WORDS: dict[str, tuple[str, ...]] = {
    "project": ("项目名称", "项目支出名称", "二级项目名称", "项目(名称)", "专项资金名称", "专项名称"),
    # Most specific first: the department is taken from the first of these the form has.
    "department": (
        "主管部门", "项目主管部门", "预算部门", "部门名称", "部门(单位)名称", "主管部门及代码", "单位名称", "填报单位",
        "预算单位", "申报单位", "部门(单位)", "填报部门", "编制单位", "业务主管部门", "下达地方或单位", "县级主管部门",
    ),
    "implementer": ("实施单位", "项目实施单位", "实施主体", "项目执行单位", "执行单位"),
    "total": (
        "资金总额", "年度资金总额", "年度本级预算金额", "项目资金总额", "预算金额", "年度预算金额", "项目总金额", "预算数",
        "年度预算数", "资金合计", "年度部门整体支出预算", "部门整体支出预算", "年度预算总额", "全年预算数", "年初预算数",
        "项目资金", "年度资金", "资金总量", "年度预算", "预算总额", "当年预算", "项目总预算", "当年年度预算",
        "总额", "下达中央预算内投资", "中央预算内投资",
    ),
    "fiscal": ("财政拨款", "财政拨款数", "一般公共预算拨款", "本级财政资金", "财政资金", "财政性资金", "当年财政拨款",
               "本年财政拨款"),
    "special": ("财政专户拨款", "财政专户管理资金"),
    "other": ("其他资金", "自筹资金", "其他来源资金"),
    "goal": ("年度目标", "本年度绩效目标", "年度绩效目标", "年度总体目标", "绩效目标", "本年度目标", "部门年度绩效目标",
             "当年绩效目标", "年度主要目标", "年度主要目标和成果", "年度总体绩效目标", "项目年度目标", "总体目标"),
    "period_goal": ("实施期目标", "实施期绩效目标", "中长期目标", "实施期总体目标"),
    "year": ("年度", "预算年度", "项目年度"),
}
# Labels a form carries that hold nothing we keep: known so their values do not run into a field.
IGNORED_KEYS = (
    "项目负责人", "项目负责人及电话", "负责人", "联系人", "联系电话", "电话", "项目类别", "项目属性", "项目类型", "归口科室",
    "项目期限", "项目支出实施期", "实施期", "项目实施期", "资金来源", "年初安排金额", "该项目支出上级资金", "上级资金",
    "上级补助", "投入目标", "资金情况", "项目资金情况", "年度总体目标完成情况", "年度目标完成情况", "发布时间", "来源", "作者",
    "浏览次数", "归档时间", "填表人", "填报日期", "单位负责人签字", "单位负责人", "项目编码", "项目代码", "项目编号",
    "当前位置", "年度主要任务", "任务名称", "主要内容", "项目概况", "立项依据", "项目立项依据", "绩效指标", "本年度绩效指标",
    "年度绩效指标", "资金使用单位", "联系方式", "其中", "单位", "金额单位", "资金单位", "计量单位", "上年结转资金",
    "上年结转", "全年执行数", "执行数", "执行率", "分值", "得分", "预期目标", "实际完成情况", "实际完成", "项目资金(万元)",
    "总分", "评价结论", "自评结论", "绩效评价等级", "项目负责人及联系电话", "部门预算编码", "预算编码", "单位编码", "部门编码",
    "项目分类", "建设周期", "项目审批", "项目总体概况", "财政资金预算分类", "财政资金科目代码", "年度预算执行率", "预算执行",
    "部门(单位)职责", "部门职责", "项目起止时间", "年度履职目标", "部门职能", "年度目标任务", "存在问题", "改进措施",
    "财务负责人", "项目基本情况", "年初设定目标", "年度总体目标完成情况综述", "负责人及电话", "全年实际完成情况",
)
# The first cell of a row that sums the table (amounts, or a self-evaluation's scores).
TOTAL_WORDS = ("合计", "总计", "总分", "合计金额")
# Rows that are the form's furniture, not data: signatures, stamps, review boxes, web-page trim.
FURNITURE_WORDS = (
    "审核意见", "初审意见", "盖章", "填表人", "填报日期", "负责人签字", "扫一扫", "相关解读", "全部留言", "评论", "有用(",
    "打印本页", "关闭窗口", "分享到", "当前位置", "上一篇", "下一篇", "字体:", "【打印】", "访问量", "[打印]", "[关闭]",
)
# Title words: the line names the kind of table (and often its year).
TITLE_WORDS = ("绩效目标表", "绩效目标申报表", "目标申报表", "绩效自评表", "自评表", "绩效目标", "申报表", "项目支出")
OVERALL_WORDS = ("整体支出", "部门整体", "单位整体")
SELF_EVALUATION_WORDS = ("自评", "自评表", "绩效评价表")

_REMARK = re.compile(r"[(（][^()（）]*[)）]$")
_PREFIX = re.compile(r"^(其中|其中:|含)[:]?")
_SPACES = re.compile(r"\s+")


def header_form(text: str) -> str:
    """A header cell compared: simplified, cleaned, no spaces, a trailing `(万元)`-style remark and `:` dropped."""
    norm = _SPACES.sub("", clean(simplify_chars(text))).strip(":;,。").lstrip("*★☆")
    bare = _REMARK.sub("", norm)
    return bare or norm


@lru_cache(maxsize=1)
def _column_index() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    exact = {w: role for role, words in COLUMN_WORDS.items() for w in words}
    exact.update(COLUMN_EXACT)
    longest = tuple(sorted(((w, role) for role, words in COLUMN_WORDS.items() for w in words), key=lambda t: -len(t[0])))
    return exact, longest


@lru_cache(maxsize=65536)
def column_role(text: str) -> str | None:
    """The field a column with this title holds, or None."""
    if not text or len(text) > 60:
        return None
    form = header_form(text)
    exact, longest = _column_index()
    if form in exact:
        return exact[form]
    full = _SPACES.sub("", clean(simplify_chars(text)))
    if full in exact:
        return exact[full]
    for word, role in longest:
        if word in form:
            return role
    return None


@lru_cache(maxsize=1)
def _key_index() -> dict[str, str]:
    out = {w: "" for w in IGNORED_KEYS}
    out.update({w: role for role, words in KEY_WORDS.items() for w in words})
    return out


def key_role(text: str) -> str | None:
    """The field a key/value label names ("" for a known label we do not keep), or None when it is no label."""
    if not text or len(text) > 30:
        return None
    index = _key_index()
    form = _PREFIX.sub("", header_form(text)) or header_form(text)  # `其中:` alone is a label too
    if form in index:
        return index[form]
    full = _PREFIX.sub("", _SPACES.sub("", clean(simplify_chars(text))).strip(":"))
    return index.get(full)


def refresh() -> None:
    """Forget cached lookups after the word tables above were extended at run time."""
    column_role.cache_clear()
    _column_index.cache_clear()
    _key_index.cache_clear()


# A footnote under a table (`注:各地请根据实际情况…`) and a table's number printed above it (`表十二`, `附表1`).
FOOTNOTE_STARTS = ("注:", "说明:", "备注:", "填表说明")
_TABLE_NUMBER = re.compile(r"附?表[一二三四五六七八九十百\d]+|附件[:]?")


def is_furniture(text: str) -> bool:
    """A signature, stamp or review line, a footnote, a table number, or web-page trim: not the table's data."""
    norm = _SPACES.sub("", clean(simplify_chars(text)))
    return (any(w in norm for w in FURNITURE_WORDS) or norm.startswith(FOOTNOTE_STARTS)
            or bool(_TABLE_NUMBER.fullmatch(norm.strip("|"))))


_MAX_TITLE = 100


def is_title(text: str) -> bool:
    """A line naming the kind of table; a sentence of prose that mentions one (a notice's
    `…将项目绩效自评报告报我局备案。`) is no title."""
    norm = _SPACES.sub("", clean(simplify_chars(text)))
    return any(w in norm for w in TITLE_WORDS) and not is_prose(norm)


def is_prose(text: str) -> bool:
    """A sentence, not a heading: a full stop inside it, a clause before a final full stop, or a long line."""
    body = text.rstrip("。")
    return "。" in body or (text.endswith("。") and "," in body) or len(text) > _MAX_TITLE
