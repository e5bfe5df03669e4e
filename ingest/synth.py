"""Noisy-table generator: departments' 项目支出绩效目标表 in the seed's OCR text layout, with ground truth.

Clean ground truth is drawn from the indicator framework (ingest.taxonomy) and a bank of
realistic project and indicator names; OCR damage of the kinds seen in real tables is then
injected at a chosen level, plus deliberate total mismatches. The truth records, for every
project and indicator, which fields the parser should flag as repaired.

    from ingest import synth
    paths = synth.generate(departments=100, noise="moderate", seed=1, out=Path("/tmp/corpus"))

writes one `.txt` table per department and `truth.json` (see `Truth`) next to them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.taxonomy import BY_CODE, FUNDING_COLUMNS

TRUTH_FILE = "truth.json"


@dataclass(frozen=True)
class NoiseProfile:
    """Probabilities of each kind of OCR damage (per opportunity: a cell, an item, a department)."""

    number_space: float = 0.0  # per amount cell: `41. 73`
    full_width: float = 0.0  # per item / amount cell: `１００％`, `：`
    markup: float = 0.0  # per item / row: `<u> </u>`, `<del> </del>`
    separator_swap: float = 0.0  # per separator: `:` → `；`, `，`, `：` …
    symbol_variant: float = 0.0  # per ≤/≥: `≪`, `≫`, `≦`, `≧`
    word_split: float = 0.0  # per item / name / goal: a space (or, in names, a tab) inside a word
    repeated_fragment: float = 0.0  # per item: `年度指标值:≥1个:` printed again and again
    duplicate_number: float = 0.0  # per item: the previous item's number printed again
    garbled_category: float = 0.0  # per category: its words misread, its code intact
    code_damage: float = 0.0  # per category: its code truncated or lost
    code_conflict: float = 0.0  # per item: level-2 words of another category beside the right code
    lost_separator: float = 0.0  # per item: category and indicator name run together
    value_misread: float = 0.0  # per item: `≥24个` read as `224个` in one of its values
    phantom_item: float = 0.0  # per item: a garbled fragment with the same number printed before it
    merged_item: float = 0.0  # per item: its number, categories and name lost, values run into the item before
    header_garble: float = 0.0  # per department: a garbled repeat of the header line
    mismatch: float = 0.0  # per department: one deliberate total mismatch


NOISE_LEVELS: dict[str, NoiseProfile] = {
    "none": NoiseProfile(),
    "low": NoiseProfile(
        number_space=0.05, full_width=0.03, markup=0.02, separator_swap=0.05, symbol_variant=0.1, word_split=0.05,
        repeated_fragment=0.02, duplicate_number=0.01, garbled_category=0.03, code_damage=0.02, code_conflict=0.0,
        lost_separator=0.0, value_misread=0.01, phantom_item=0.005, merged_item=0.0, header_garble=0.3, mismatch=0.1,
    ),
    "moderate": NoiseProfile(
        number_space=0.2, full_width=0.08, markup=0.05, separator_swap=0.2, symbol_variant=0.4, word_split=0.15,
        repeated_fragment=0.05, duplicate_number=0.03, garbled_category=0.1, code_damage=0.05, code_conflict=0.01,
        lost_separator=0.02, value_misread=0.03, phantom_item=0.01, merged_item=0.003, header_garble=0.6, mismatch=0.3,
    ),
    "high": NoiseProfile(
        number_space=0.4, full_width=0.2, markup=0.15, separator_swap=0.4, symbol_variant=0.7, word_split=0.35,
        repeated_fragment=0.12, duplicate_number=0.08, garbled_category=0.25, code_damage=0.12, code_conflict=0.03,
        lost_separator=0.06, value_misread=0.08, phantom_item=0.03, merged_item=0.01, header_garble=0.9, mismatch=0.6,
    ),
}
DEFAULT_NOISE = "moderate"

# --- the bank: realistic names -------------------------------------------------------------

DISTRICTS = ("白云区", "天河区", "海珠区", "越秀区", "荔湾区", "番禺区", "花都区", "黄埔区", "南沙区", "从化区", "增城区")
AGENCIES = (
    "教育局", "卫生健康局", "民政局", "司法局", "人力资源和社会保障局", "住房和城乡建设局", "交通运输局", "水务局",
    "农业农村局", "商务局", "文化广电旅游体育局", "市场监督管理局", "城市管理和综合执法局", "退役军人事务局",
    "应急管理局", "统计局", "医疗保障局", "科学技术局", "工业和信息化局", "档案馆", "妇女联合会", "总工会",
    "残疾人联合会", "工商业联合会", "科学技术协会", "红十字会", "机关事务管理局", "政务服务数据管理局", "信访局", "审计局",
)
SUB_UNITS = ("服务中心", "信息中心", "综合执法大队", "事务中心", "管理所")
TOPICS = (
    "办公场地", "信创设备购置", "政府雇员工资", "政府雇员公用", "党建工作", "东西部协作", "乡村振兴帮扶", "安全生产检查",
    "法律援助", "社区矫正", "普法宣传", "档案数字化", "信息系统运维", "网络安全保障", "基本公共卫生服务", "家庭医生签约",
    "疫苗接种", "校园安全", "教师培训", "学生资助", "困难群众救助", "临时救助", "养老服务", "残疾人两项补贴",
    "退役军人优抚", "就业创业培训", "劳动保障监察", "河涌整治", "排水设施维护", "绿化养护", "环境卫生保洁", "垃圾分类",
    "道路维修", "交通设施维护", "农田水利建设", "动物防疫", "食品安全抽检", "特种设备检验", "消防安全宣传", "应急物资储备",
    "统计调查", "政务服务大厅运行", "政务热线运行", "信访维稳", "审计业务外包", "不动产登记", "文化惠民演出",
    "全民健身活动", "图书馆运行", "民营经济服务", "商会建设", "科普活动", "妇女儿童权益保障", "青少年发展", "职工帮扶",
    "救护培训", "志愿服务", "两新组织党建", "专项审计", "政府购买服务",
)
PROJECT_SUFFIXES = ("工作经费", "专项经费", "项目经费", "经费", "补贴", "运行维护费", "服务费")
GOAL_TEMPLATES = (
    "通过开展{topic}工作,{benefit},为{target}提供有力保障。",
    "围绕{topic}目标任务,{benefit},不断提升{target}的获得感。",
    "保障{topic}顺利实施,{benefit},推动{target}高质量发展。",
)
BENEFITS = ("保障单位正常运转", "提高工作效率和服务水平", "规范资金使用管理", "巩固拓展工作成果", "提升公共服务能力")
TARGETS = ("辖区群众", "服务对象", "各项工作顺利开展", "全区经济社会发展", "基层单位")

# level-2 code -> (indicator name, value templates); {n} a number, {y} the year.
INDICATOR_BANK: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "11": (
        ("培训人次", ("≥{n}人次",)), ("走访企业数", ("≥{n}家",)), ("开展活动次数", ("≥{n}次",)),
        ("购置设备数量", ("{n}台",)), ("服务对象人数", ("≥{n}人",)), ("检查企业数量", ("≥{n}家",)),
        ("发放补贴人数", ("≥{n}人",)), ("维护设施数量", ("≥{n}处",)), ("宣传资料发放数量", ("≥{n}份",)),
        ("政府雇员指标数", ("≤{n}名",)), ("帮扶地区数", ("≥{n}个",)), ("举办讲座场次", ("≥{n}场",)),
        ("覆盖社区数量", ("≥{n}个",)), ("抽检批次", ("≥{n}批次",)), ("处理工单数量", ("≥{n}件",)),
        ("加强组织领导", ("≥{n}个",)), ("走访情况", ("走访基层商会数≥{n}个、走访企业数≥{n}家",)),
    ),
    "12": (
        ("验收合格率", ("100%", "≥95%")), ("程序的规范性", ("100%",)), ("资料归档完整率", ("≥98%", "100%")),
        ("设备完好率", ("≥95%",)), ("培训合格率", ("≥90%",)), ("抽检合格率", ("≥97%",)), ("服务规范率", ("100%",)),
        ("问题整改率", ("≥95%", "100%")),
    ),
    "13": (
        ("费用支付及时率", ("100%",)), ("项目完成时间", ("{y}年12月31日前",)), ("人员薪酬待遇发放及时性", ("100%",)),
        ("问题处置及时率", ("≥95%",)), ("工单办结时限", ("≤{n}个工作日",)), ("资金拨付及时率", ("100%",)),
    ),
    "14": (
        ("费用标准", ("≤合同金额",)), ("人均培训成本", ("≤{n}元",)), ("设备采购单价", ("≤{n}元/台",)),
        ("项目预算控制率", ("≤100%",)),
    ),
    "21": (
        ("带动企业增收", ("≥{n}万元",)), ("节约行政成本", ("有效节约",)), ("促进招商引资", ("≥{n}家",)),
        ("巩固拓展脱贫攻坚成果", ("通过对口帮扶,增加脱贫户收入,助力乡村建设",)),
    ),
    "22": (
        ("强化社会发动", ("商协会、企业、社会机构筹集帮扶资金(物资)或提供就业岗位,得满分;以上均无,不得分",)),
        ("提升群众安全感", ("显著提升",)), ("加强社会责任意识", ("单位员工主动节约用水用电,社会责任意识加强",)),
        ("保障单位正常运转", ("有效保障",)), ("政策知晓率", ("≥{n}%",)), ("服务覆盖率", ("≥{n}%",)),
        ("发挥企业党员先锋模范作用", ("有则得满分,否则酌情减分",)),
    ),
    "23": (
        ("节能减排", ("能耗同比下降{n}%",)), ("河涌水质达标率", ("≥{n}%",)), ("绿化覆盖率", ("≥{n}%",)),
    ),
    "24": (
        ("雇员考核", ("称职或以上",)), ("长效机制建立情况", ("建立并持续运行",)), ("制度完善程度", ("持续完善",)),
        ("增强安全意识", ("100%",)), ("设备使用年限", ("≥{n}年",)),
    ),
    "31": (
        ("服务对象满意度", ("≥{n}%",)), ("群众满意度", ("≥{n}%",)), ("企业满意度", ("≥90%",)),
        ("职工对信创终端设备使用满意度", ("100%", "≥95%")),
        ("甲方对本单位支付费用及时性满意度", ("90%及以上得满分,否则每下降5%扣该项指标对应分数10%",)),
    ),
    "41": (("项目总成本", ("≤{n}万元",)), ("单位运行成本", ("≤{n}万元",))),
}
LEVEL2_PLAN = (("11", "12", "13", "14"), ("21", "22", "23", "24"), ("31",))

# Misreadings used to damage category words: meant -> as read. Wider than the parser's
# OCR_CONFUSIONS on purpose: the codes, not a list of known misreadings, carry the repair.
_CHAR_MISREADS = {
    "效": "交监数", "益": "监盖", "质": "被贡", "量": "监星", "指": "持拍", "标": "际杯", "数": "效", "时": "吋",
    "社": "杜", "会": "合", "经": "轻", "济": "挤", "产": "严", "出": "山", "满": "瞒", "意": "竟", "度": "席",
    "可": "叮", "持": "特", "续": "读", "影": "彰", "响": "晌", "生": "牛", "态": "杰", "成": "戌", "本": "木",
}
_MARKUP = ("<u> </u>", "<del> </del>", "<u></u>", "<b> </b>")
_SEPARATORS = (":", "：", ";", "；", ",", "，", ": ", "; ")
_CODE_SEPARATORS = ("-", "－", "—", "_", " ", "")
_FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789%:;,()-"})
_SYMBOL_VARIANTS = {"≤": ("≪", "≦"), "≥": ("≫", "≧")}


@dataclass
class TruthIndicator:
    item: int
    level1: str
    level1_code: str
    level2: str
    level2_code: str
    indicator: str
    period_value: str
    annual_value: str
    flags: list[str] = field(default_factory=list)  # fields the parser should flag as repaired
    noise: list[str] = field(default_factory=list)  # kinds of damage injected
    lost: bool = False  # damage no parser can undo (merged_item): expect a warning, not a record
    line: int = 0  # the row it is printed on (the project's row in the packed layout)


@dataclass
class TruthProject:
    line: int
    project: str
    unit_name: str
    amounts: dict[str, float | None]
    goal: str
    indicators: list[TruthIndicator] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)


@dataclass
class TruthFile:
    """Ground truth of one generated table."""

    file: str
    department: str
    year: int
    rows: int  # rows of the file (lines of a text table), every one accounted for by the parser
    projects: list[TruthProject] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)  # {"line", "name", "kind", "amounts"}
    mismatches: list[dict[str, Any]] = field(default_factory=list)  # {"kind", "line", "column", "delta"}
    layout: str = "packed"  # the reader that should parse it (ingest/layouts)
    fmt: str = "text"  # how it is written: text (tab), pipe, space, cells, csv, html, docx
    kind: str = "project"
    unit: str = "万元"


def _yuan(cents: int | None) -> float | None:
    return None if cents is None else round(cents / 100, 2)


class _Noise:
    """Applies one profile's damage with one random generator, logging what it did."""

    def __init__(self, profile: NoiseProfile, rng: random.Random) -> None:
        self.p = profile
        self.rng = rng

    def hit(self, probability: float) -> bool:
        return probability > 0 and self.rng.random() < probability

    def sep(self, canonical: str = ": ") -> str:
        return self.rng.choice(_SEPARATORS) if self.hit(self.p.separator_swap) else canonical

    def symbols(self, value: str) -> str:
        if not any(s in value for s in _SYMBOL_VARIANTS):
            return value
        if not self.hit(self.p.symbol_variant):
            return value
        return "".join(self.rng.choice(_SYMBOL_VARIANTS[c]) if c in _SYMBOL_VARIANTS else c for c in value)

    def split_word(self, text: str, tab: bool = False) -> str:
        """Insert a space (or a tab) between two Chinese characters."""
        spots = [i for i in range(1, len(text)) if _is_han(text[i - 1]) and _is_han(text[i])]
        if not spots:
            return text
        i = self.rng.choice(spots)
        return text[:i] + ("\t" if tab else " ") + text[i:]

    def garble(self, words: str) -> str:
        """Misread one or two characters of category words (never into a valid spelling)."""
        spots = [i for i, c in enumerate(words) if c in _CHAR_MISREADS]
        if not spots:
            return words
        out = list(words)
        for i in self.rng.sample(spots, min(len(spots), self.rng.choice((1, 1, 2)))):
            out[i] = self.rng.choice(_CHAR_MISREADS[out[i]])
        return "".join(out)

    def amount(self, cents: int | None, flags: list[str], key: str, noise: list[str]) -> str:
        if cents is None:
            return ""
        text = f"{cents / 100:.2f}"
        if self.hit(self.p.number_space):
            i = self.rng.choice([text.index(".") + 1, max(1, text.index(".") - 1)])
            text = text[:i] + " " + text[i:]
            flags.append(key)
            noise.append("number_space")
        if self.hit(self.p.full_width):
            text = text.translate(_FULL_WIDTH)
            noise.append("full_width")
        return text


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _project_plan(rng: random.Random) -> list[str]:
    """Level-2 codes of one project's indicators: 2-4 产出, 1-2 效益, 1 满意度, sometimes 成本 (4)."""
    out = rng.sample(LEVEL2_PLAN[0], rng.randint(2, 4))
    out += rng.sample(LEVEL2_PLAN[1], rng.randint(1, 2))
    if rng.random() < 0.05:
        out.append("41")
    out.append("31")
    return out


def _value(template: str, rng: random.Random, year: int) -> str:
    return template.format(n=rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40, 50, 60, 80, 90, 100, 120, 200)), y=year)


def _category_text(code: str, noise: _Noise, truth: TruthIndicator, field_name: str, level2_slot: bool) -> str:
    """`22-社会效益指标` as printed, possibly damaged; records the flags the parser should raise."""
    cat = BY_CODE[code]
    words = cat.name
    if level2_slot and code == "31" and noise.rng.random() < 0.4:
        code, words = "3", "满意度指标"  # how many tables print the only child of 满意度指标
    code_sep = "-"
    if noise.hit(noise.p.separator_swap):
        code_sep = noise.rng.choice(_CODE_SEPARATORS)
    garbled = noise.hit(noise.p.garbled_category)
    if garbled:
        damaged = noise.garble(words)
        if damaged != words:
            words = damaged
            truth.noise.append(f"garbled_{field_name}")
            truth.flags.append(field_name)
    if noise.hit(noise.p.code_damage):
        # (`3-…` in the level-2 slot is how tables print 31, not damage.)
        if level2_slot and len(code) == 2 and code != "31" and not garbled and noise.rng.random() < 0.6:
            # `1-数量指标`: the level-2 code lost a digit; the words (intact) identify it.
            code = code[0]
            truth.noise.append("code_truncated")
            truth.flags.append(field_name)
        elif not garbled:
            # The code is gone; intact words need no repair.
            code, code_sep = "", ""
            truth.noise.append("code_lost")
    return f"{code}{code_sep}{words}"


def _item_text(n: int, ind: TruthIndicator, noise: _Noise, printed_number: int) -> str:
    rng = noise.rng
    l1 = _category_text(ind.level1_code, noise, ind, "level1", level2_slot=False)
    if noise.hit(noise.p.code_conflict) and ind.level2_code != "31":
        siblings = [c for c in INDICATOR_BANK if c[0] == ind.level2_code[0] and c != ind.level2_code and c != "41"]
        if siblings:
            l2 = f"{ind.level2_code}-{BY_CODE[rng.choice(siblings)].name}"
            ind.noise.append("code_conflict")
            ind.flags.append("level2")
        else:
            l2 = _category_text(ind.level2_code, noise, ind, "level2", level2_slot=True)
    else:
        l2 = _category_text(ind.level2_code, noise, ind, "level2", level2_slot=True)
    if noise.hit(noise.p.lost_separator) and "code_truncated" not in ind.noise and "code_lost" not in ind.noise:
        head = f"{l1}{noise.sep()}{l2}{ind.indicator}"
        ind.noise.append("lost_separator")
        ind.flags.append("indicator")
    else:
        head = f"{l1}{noise.sep()}{l2}{noise.sep()}{ind.indicator}"
    period = noise.symbols(ind.period_value)
    annual = noise.symbols(ind.annual_value)
    if ind.annual_value and noise.hit(noise.p.value_misread) and ind.annual_value == ind.period_value:
        i = annual.find("≥")
        if i >= 0 and i + 1 < len(annual) and annual[i + 1].isdigit():
            annual = annual[:i] + "2" + annual[i + 1 :]
            ind.noise.append("value_misread")
            ind.flags.append("annual_value")
    parts = [f"{printed_number}、{head}{noise.sep()}实施周期指标值:{period}"]
    if noise.hit(noise.p.repeated_fragment) and not ind.annual_value:
        parts.append(f"实施周期指标值:{period}")
        ind.noise.append("repeated_fragment")
        ind.flags.append("period_value")
    if ind.annual_value:
        parts.append(f"年度指标值:{annual}")
        if noise.hit(noise.p.repeated_fragment):
            parts += [f"年度指标值:{annual}"] * rng.randint(1, 4)
            ind.noise.append("repeated_fragment")
            ind.flags.append("annual_value")
    text = noise.sep(", ").join(parts) + rng.choice(("。", "。", "。", ";", "."))
    if noise.hit(noise.p.full_width):
        text = text.translate(_FULL_WIDTH)
        ind.noise.append("full_width")
    if noise.hit(noise.p.word_split):
        text = noise.split_word(text)
        ind.noise.append("word_split")
    if noise.hit(noise.p.markup):
        # At a separator: markup between a number and its `、` would hide the item marker.
        spots = [i + 1 for i, c in enumerate(text) if c in ":：;；,，。"]
        if spots:
            i = rng.choice(spots)
            text = text[:i] + rng.choice(_MARKUP) + text[i:]
            ind.noise.append("markup")
    return text


def _phantom(number: int, ind: TruthIndicator, noise: _Noise) -> str:
    """A garbled fragment that reads as an item but holds no indicator (`4、12-被监持标: 22-社会通…`)."""
    words = noise.garble(BY_CODE[ind.level2_code].name)
    return f"{number}、{ind.level1_code}{ind.level2_code[-1]}-{words}{noise.sep()}{noise.garble(ind.indicator)}:{ind.period_value}。"


def _department_truth(index: int, rng: random.Random) -> tuple[str, int, list[tuple[str, list[str]]]]:
    district = rng.choice(DISTRICTS)
    agency = AGENCIES[index % len(AGENCIES)] if index < len(AGENCIES) else rng.choice(AGENCIES)
    department = f"广州市{district}{agency}"
    year = rng.choice((2021, 2022, 2023, 2024, 2025))
    n_units = 1 if rng.random() < 0.8 else rng.randint(2, 3)
    names = [department] + [f"广州市{district}{agency.rstrip('局会馆')}{s}" for s in rng.sample(SUB_UNITS, n_units - 1)]
    topics = rng.sample(TOPICS, min(len(TOPICS), rng.randint(3, 10) * n_units))
    units: list[tuple[str, list[str]]] = []
    per = max(1, len(topics) // n_units)
    for u, name in enumerate(names):
        chunk = topics[u * per : (u + 1) * per] if u < n_units - 1 else topics[u * per :]
        units.append((name, [f"{t}{rng.choice(PROJECT_SUFFIXES)}" for t in chunk]))
    return department, year, units


def _split_cents(total: int, rng: random.Random) -> dict[str, int | None]:
    r = rng.random()
    if r < 0.75:
        return {"total": total, "fiscal": total, "special": None, "other": None}
    part = rng.randint(1, max(1, total - 1))
    if r < 0.9:
        return {"total": total, "fiscal": total - part, "special": part, "other": None}
    return {"total": total, "fiscal": total - part, "special": None, "other": part}


def _sum_cents(rows: list[dict[str, int | None]]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for key, _ in FUNDING_COLUMNS:
        values = [v for r in rows if (v := r[key]) is not None]
        out[key] = sum(values) if values else None
    return out


def make_table(index: int, profile: NoiseProfile, rng: random.Random) -> tuple[str, TruthFile]:
    """One department's table text and its ground truth."""
    noise = _Noise(profile, rng)
    department, year, units = _department_truth(index, rng)
    file_name = f"{year}_dept{index:05d}.txt"
    lines: list[str] = [f"{year}年部门项目支出绩效目标表", f"部门名称:{department}(部门) 单位: 万元", ""]
    if noise.hit(profile.header_garble):
        garbled = noise.split_word(department, tab=True)
        lines.append(f"部门名称:{garbled}(部门)\ti\t1\ti\t{rng.choice(_MARKUP)}\t单位:万元 {rng.choice(_MARKUP)}")
    lines.append("项目名称(资金使用单位)\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标")

    # Clean truth first: amounts in cents so that every sum is exact.
    unit_rows: list[tuple[str, list[tuple[str, dict[str, int | None], str, list[TruthIndicator]]]]] = []
    for unit_name, project_names in units:
        projects = []
        for name in project_names:
            cents = _split_cents(rng.randint(5, 500000), rng)
            topic = name
            goal = rng.choice(GOAL_TEMPLATES).format(topic=topic, benefit=rng.choice(BENEFITS), target=rng.choice(TARGETS))
            indicators = []
            for n, code in enumerate(_project_plan(rng), start=1):
                used = {i.indicator for i in indicators}
                choices = [b for b in INDICATOR_BANK[code] if b[0] not in used]
                ind_name, templates = rng.choice(choices)
                period = _value(rng.choice(templates), rng, year)
                r = rng.random()
                annual = period if r < 0.8 else ("" if r < 0.9 else _value(rng.choice(templates), rng, year))
                level2 = BY_CODE[code]
                level1 = BY_CODE[level2.parent]
                indicators.append(TruthIndicator(n, level1.name, level1.code, level2.name, level2.code, ind_name, period, annual))
            projects.append((name, cents, goal, indicators))
        unit_rows.append((unit_name, projects))

    unit_totals = [_sum_cents([p[1] for p in projects]) for _, projects in unit_rows]
    grand = _sum_cents(unit_totals)
    # Row numbers: header lines come first, then 合计, then each unit's subtotal and projects.
    line = len(lines) + 1
    grand_line = line
    layout: list[tuple[str, int, Any]] = [("grand", grand_line, None)]
    line += 1
    for u, (_, projects) in enumerate(unit_rows):
        layout.append(("unit", line, u))
        line += 1
        for p in range(len(projects)):
            layout.append(("project", line, (u, p)))
            line += 1

    truth = TruthFile(file_name, department, year, rows=len(layout))
    amounts_at: dict[int, dict[str, int | None]] = {grand_line: dict(grand)}
    for kind, at, ref in layout:
        if kind == "unit":
            amounts_at[at] = dict(unit_totals[ref])
        elif kind == "project":
            amounts_at[at] = dict(unit_rows[ref[0]][1][ref[1]][1])
    if noise.hit(profile.mismatch):
        truth.mismatches.append(_inject_mismatch(layout, amounts_at, rng))

    for kind, at, ref in layout:
        cents = amounts_at[at]
        if kind == "grand":
            cells = ["合计", *(noise.amount(cents[k], [], k, []) for k, _ in FUNDING_COLUMNS), "", ""]
            truth.totals.append({"line": at, "name": "合计", "kind": "grand", "amounts": {k: _yuan(v) for k, v in cents.items()}})
            lines.append("\t".join(cells))
            continue
        if kind == "unit":
            name = unit_rows[ref][0]
            printed = noise.split_word(name, tab=True) if noise.hit(profile.word_split) else name
            cells = [printed, *(noise.amount(cents[k], [], k, []) for k, _ in FUNDING_COLUMNS), "", ""]
            truth.totals.append({"line": at, "name": name, "kind": "unit", "amounts": {k: _yuan(v) for k, v in cents.items()}})
            lines.append("\t".join(cells))
            continue
        unit_name = unit_rows[ref[0]][0]
        name, _, goal, indicators = unit_rows[ref[0]][1][ref[1]]
        project = TruthProject(at, name, unit_name, {k: _yuan(v) for k, v in cents.items()}, goal, indicators)
        printed_name = name
        if noise.hit(profile.word_split):
            tab = rng.random() < 0.5
            printed_name = noise.split_word(name, tab=tab)
            project.noise.append("name_tab" if tab else "name_space")
        amount_cells = [noise.amount(cents[k], project.flags, k, project.noise) for k, _ in FUNDING_COLUMNS]
        printed_goal = noise.split_word(goal) if noise.hit(profile.word_split) else goal
        items = []
        previous = 0
        for n, ind in enumerate(indicators, start=1):
            number = n
            if n > 1 and noise.hit(profile.duplicate_number):
                number = previous
                ind.noise.append("duplicate_number")
            previous = number
            if n > 1 and indicators[n - 2].annual_value and not indicators[n - 2].lost and noise.hit(profile.merged_item):
                # Only the values survive, run into the item before (whose annual value closes it).
                ind.lost = True
                ind.noise.append("merged_item")
                ind.flags.clear()
                tail = f"实施周期指标值:{ind.period_value}"
                if ind.annual_value:
                    tail += f"{noise.sep(', ')}年度指标值:{ind.annual_value}"
                items.append(tail + "。")
                continue
            if n > 1 and noise.hit(profile.phantom_item):
                items.append(_phantom(number, ind, noise))
                ind.noise.append("phantom_item")
            items.append(_item_text(n, ind, noise, number))
        for ind in indicators:
            ind.line = at
        row = "\t".join([printed_name, *amount_cells, printed_goal, "".join(items)])
        if noise.hit(profile.markup):
            row += "\t" + rng.choice(_MARKUP)
            project.noise.append("markup")
        lines.append(row)
        truth.projects.append(project)
    truth.rows = len(lines)  # every line is a row the parser accounts for (title and header lines too)
    return "\n".join(lines) + "\n", truth


def _inject_mismatch(
    layout: list[tuple[str, int, Any]], amounts_at: dict[int, dict[str, int | None]], rng: random.Random
) -> dict[str, Any]:
    """Change one printed amount so a total no longer adds up; returns what was done."""
    kind = rng.choice(("row", "column", "subtotal", "grand"))
    delta = rng.choice((-1, 1)) * rng.randint(1, 5000)
    if kind in ("row", "column"):
        at = rng.choice([a for k, a, _ in layout if k == "project"])
    elif kind == "subtotal":
        at = rng.choice([a for k, a, _ in layout if k == "unit"])
    else:
        at = next(a for k, a, _ in layout if k == "grand")
    cents = amounts_at[at]
    total = cents["total"] or 0
    if total + delta <= 0:
        delta = abs(delta)
    if kind == "row":
        cents["total"] = total + delta  # the sources no longer add up to 总计
        column = "total"
    else:
        column = "fiscal"
        cents["fiscal"] = (cents["fiscal"] or 0) + delta
        cents["total"] = total + delta  # the row adds up; the column does not
    return {"kind": kind, "line": at, "column": column, "delta": round(delta / 100, 2)}


def _as_json(truth: TruthFile) -> dict[str, Any]:
    # dataclasses.asdict deep-copies every field: too slow for corpora of 100k rows.
    out = dict(vars(truth))
    out["projects"] = [{**vars(p), "indicators": [vars(i) for i in p.indicators]} for p in truth.projects]
    return out


LAYOUTS = ("packed", "rows", "form", "overall", "selfeval")


def generate(
    departments: int, noise: str = DEFAULT_NOISE, seed: int = 0, out: Path | str = "synth", layouts: tuple[str, ...] = ("packed",),
    formats: tuple[str, ...] = (),
) -> list[Path]:
    """Write `departments` noisy tables and `truth.json` into `out`; returns the table paths.

    Tables take the layouts in turn (`LAYOUTS`; default: the OCR packed layout only); each
    grid layout cycles through the forms it arrives in (ingest.synth_grid.FORMATS), or through
    `formats` where it can be written so (synth_grid.formats_of)."""
    if noise not in NOISE_LEVELS:
        raise ValueError(f"未知的噪声级别“{noise}”,可选: {', '.join(NOISE_LEVELS)}")
    if departments < 0:
        raise ValueError(f"departments 必须 ≥ 0: {departments}")
    unknown = [name for name in layouts if name not in LAYOUTS]
    if unknown or not layouts:
        raise ValueError(f"未知的版式“{'、'.join(unknown)}”,可选: {', '.join(LAYOUTS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    profile = NOISE_LEVELS[noise]
    paths: list[Path] = []
    truths: list[dict[str, Any]] = []
    turns: dict[str, int] = {}
    for index in range(departments):
        layout = layouts[index % len(layouts)]
        if layout == "packed":
            text, truth = make_table(index, profile, rng)
            path = out / truth.file
            path.write_text(text, encoding="utf-8")
        else:
            from ingest import synth_grid

            turn = turns.get(layout, 0)
            turns[layout] = turn + 1
            # The file name carries no year: the year must come from the table's content.
            path, truth = synth_grid.make(layout, index, profile, rng, out, f"{layout}{index:05d}", turn, formats)
        paths.append(path)
        truths.append(_as_json(truth))
    (out / TRUTH_FILE).write_text(
        json.dumps({"noise": noise, "seed": seed, "departments": departments, "layouts": list(layouts), "files": truths},
                   ensure_ascii=False),
        encoding="utf-8",
    )
    return paths



def load_truth(folder: Path | str) -> dict[str, Any]:
    """The `truth.json` written by `generate`."""
    return json.loads((Path(folder) / TRUTH_FILE).read_text(encoding="utf-8"))

