"""Development harness for the query plans: questions generated from synthetic ground truth.

    JIXIAO_HOME=/tmp/h python -m ingest synth --departments 60 --seed 7 --out /tmp/s
    JIXIAO_HOME=/tmp/h python -m index build /tmp/s
    JIXIAO_HOME=/tmp/h python scripts/plan_devset.py /tmp/s [--seed 1] [--per 40] [--json] [--fails N]

Each question carries the operation it should become and checks on the answer computed from
`truth.json` (the generator's ground truth): strings that must appear (numbers in the answer's
formats), whether it is found/refused/a clarifying question. Prints accuracy per operation.
This is a development tool: the question generator for the team is `python -m evals questions`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import Assistant, DialogueState
from assistant.understand import department_forms
from ingest.normalize import for_matching
from ingest.taxonomy import BY_CODE


@dataclass
class Item:
    op: str
    question: str
    turns: list[str] = field(default_factory=list)
    contains: list[str] = field(default_factory=list)
    found: bool | None = True
    refused: bool = False
    clarify: bool = False
    tags: list[str] = field(default_factory=list)


def money(v: float) -> str:
    return f"{v:.2f}万元"


def yuan(v: float) -> str:
    y = round(v * 10000, 2)
    return f"{int(y)}元" if y == int(y) else f"{y:.2f}元"


_S2T: Any = None


def traditional(text: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return _S2T.convert(text)


def typo(text: str, rng: random.Random) -> str:
    """Drop or swap one character inside the text (not in numbers)."""
    spots = [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]
    if len(spots) < 6:
        return text
    i = rng.choice(spots[2:-2])
    return text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def generate(truth: dict[str, Any], rng: random.Random, per: int) -> list[Item]:
    files = truth["files"]
    dept_count: dict[str, int] = defaultdict(int)
    table_count: dict[tuple[str, int], int] = defaultdict(int)
    for f in files:
        dept_count[f["department"]] += 1
        table_count[(f["department"], f["year"])] += 1
    name_count: dict[str, int] = defaultdict(int)
    for f in files:
        for p in f["projects"]:
            name_count[p["project"]] += 1
    items: list[Item] = []

    def dname(f: dict[str, Any]) -> str:
        forms = sorted((x for x in department_forms(f["department"]) if "区" in x), key=len)
        short = forms[0]  # 番禺区教育局
        name = rng.choice([f["department"], short])
        if dept_count[f["department"]] > 1:
            name += f"{f['year']}年"
        return name

    def pname(f: dict[str, Any], p: dict[str, Any]) -> str:
        return p["project"] if name_count[p["project"]] == 1 and rng.random() < 0.5 else f"{dname(f)}的{p['project']}"

    def live(p: dict[str, Any]) -> list[dict[str, Any]]:
        return [i for i in p["indicators"] if not i["lost"]]

    def add(op: str, q: str, **kw: Any) -> None:
        items.append(Item(op, q, **kw))

    for f in files:
        projects = [p for p in f["projects"] if p["amounts"]["total"] is not None]
        if len(projects) < 2 or table_count[(f["department"], f["year"])] > 1:
            continue  # two different tables for one department and year: answered per file, not comparable
        d = dname(f)
        total = sum(p["amounts"]["total"] for p in projects)
        p = rng.choice(projects)
        q1, q2 = rng.sample(projects, 2)
        a = p["amounts"]["total"]
        # lookup amount / funding / goal
        add("lookup", rng.choice(["{P}的预算是多少", "{P}花了多少钱", "{P}安排了多少资金?", "{P}的经费有多少万",
                                  "{P}批了多少钱"]).format(P=pname(f, p)), contains=[money(a)], tags=["amount"])
        add("lookup", rng.choice(["{P}合多少元", "{P}的预算是多少元", "{P}预算折合多少元"]).format(P=pname(f, p)),
            contains=[yuan(a)], tags=["amount", "yuan"])
        add("lookup", rng.choice(["{P}的资金来源是什么", "{P}的钱从哪来", "{P}是什么资金"]).format(P=pname(f, p)),
            contains=["财政拨款"], tags=["funding"])
        add("lookup", rng.choice(["{P}的绩效目标是什么", "{P}是做什么的", "{P}的目标是啥"]).format(P=pname(f, p)),
            contains=[p["goal"][:8]], tags=["goal"])
        # indicator values
        rows = live(p)
        ind = rng.choice(rows)
        value = ind["period_value"]
        add("lookup", rng.choice(["{P}的{I}是多少", "{P}{I}的指标值", "{P}的{I}要达到多少", "{P}里{I}的目标值是多少"])
            .format(P=pname(f, p), I=ind["indicator"]), contains=[value], tags=["value"])
        # indicators in a category
        cat = rng.choice(["1", "2", "3", "11", "12", "13", "22", "24"])
        cname = BY_CODE[cat].name
        chosen = [i for i in rows if i["level1_code"] == cat or i["level2_code"] == cat]
        add("list", rng.choice(["{P}有哪些{C}", "{P}的{C}是什么", "列出{P}的{C}", "{P}的{C}都有哪些"])
            .format(P=pname(f, p), C=cname), contains=[i["indicator"] for i in chosen][:3], found=bool(chosen),
            tags=["category"])
        add("exists", rng.choice(["{P}有没有{C}", "{P}设了{C}吗", "{P}有{C}吗"]).format(P=pname(f, p), C=cname),
            contains=[i["indicator"] for i in chosen][:1], found=bool(chosen), tags=["exists"])
        # counts
        add("count", rng.choice(["{P}有几个指标", "{P}一共设了多少条绩效指标", "{P}的指标数量是多少"])
            .format(P=pname(f, p)), contains=[f"{len(rows)}条"], tags=["count"])
        add("count", rng.choice(["{D}有几个项目", "{D}一共有多少个项目", "{D}的项目数是多少"]).format(D=d),
            contains=[f"共{len(projects)}个"], tags=["count"])
        # aggregates
        add("sum", rng.choice(["{D}的预算一共多少", "{D}所有项目加起来多少钱", "{D}项目支出合计多少"]).format(D=d),
            contains=[money(total)], tags=["sum"])
        add("sum", rng.choice(["{A}和{B}加起来多少", "{A}加上{B}一共多少钱"]).format(
            A=pname(f, q1), B=q2["project"]), contains=[money(q1["amounts"]["total"] + q2["amounts"]["total"])],
            tags=["sum"])
        add("average", rng.choice(["{D}项目的平均预算是多少", "{D}平均每个项目多少钱"]).format(D=d),
            contains=[money(total / len(projects))], tags=["average"])
        top = max(projects, key=lambda x: x["amounts"]["total"])
        low = min(projects, key=lambda x: x["amounts"]["total"])
        add("max", rng.choice(["{D}哪个项目预算最多", "{D}预算最高的项目是哪个", "{D}哪个项目最贵"]).format(D=d),
            contains=[top["project"], money(top["amounts"]["total"])], tags=["max"])
        add("min", rng.choice(["{D}哪个项目预算最少", "{D}钱最少的是哪个项目", "{D}哪个项目最便宜"]).format(D=d),
            contains=[low["project"], money(low["amounts"]["total"])], tags=["min"])
        ranked = sorted(projects, key=lambda x: -x["amounts"]["total"])
        add("sort", rng.choice(["{D}的项目按预算从高到低排", "把{D}的项目按金额排个序", "{D}各项目预算排名"]).format(D=d),
            contains=[f"1. {ranked[0]['project']}"], tags=["sort"])
        rank = 1 + sum(x["amounts"]["total"] > a for x in projects)
        add("sort", rng.choice(["{P}的预算排第几", "{P}预算排名多少", "{P}的钱在{D}排第几"]).format(P=pname(f, p), D=d),
            contains=[f"排第{rank}"], tags=["position"])
        k = min(3, len(projects))
        add("top", rng.choice(["{D}预算前三名", "{D}预算最高的3个项目", "{D}金额前3的项目"]).format(D=d),
            contains=[x["project"] for x in ranked[:k]], tags=["top"])
        add("share", rng.choice(["{P}占{D}总预算的百分之几", "{P}的预算占比多少", "{P}占部门预算的比例是多少"])
            .format(P=pname(f, p), D=d), contains=[f"{a / total * 100:.2f}%"], tags=["share"])
        b = q2["amounts"]["total"]
        qa = q1["amounts"]["total"]
        add("difference", rng.choice(["{A}比{B}多多少钱", "{A}和{B}的预算差多少", "{A}与{B}相差多少"]).format(
            A=pname(f, q1), B=q2["project"]), contains=[money(abs(qa - b))], tags=["difference"])
        if b:
            add("ratio", rng.choice(["{A}是{B}的几倍", "{A}的预算是{B}的多少倍"]).format(A=pname(f, q1), B=q2["project"]),
                contains=[f"{qa / b:.2f}"], tags=["ratio"])
        # yes/no over all, lists with conditions
        cat3 = rng.choice(["3", "1", "2", "13", "22"])
        cname3 = BY_CODE[cat3].name
        having = [x for x in projects if any(i["level1_code"] == cat3 or i["level2_code"] == cat3 for i in live(x))]
        lacking = [x for x in projects if x not in having]
        add("all_have", rng.choice(["{D}所有项目都有{C}吗", "{D}每个项目都设置了{C}吗", "{D}是不是每个项目都有{C}"])
            .format(D=d, C=cname3), contains=["是的" if not lacking else "不是"], tags=["all_have"])
        add("list", rng.choice(["{D}哪些项目有{C}", "{D}设置了{C}的项目有哪些"]).format(D=d, C=cname3),
            contains=[x["project"] for x in having][:3], found=bool(having), tags=["has_category"])
        add("list", rng.choice(["{D}哪些项目没有{C}", "{D}缺少{C}的项目有哪些"]).format(D=d, C=cname3),
            contains=[x["project"] for x in lacking][:3], found=bool(lacking), tags=["lacks_category"])
        empty = [i for x in projects for i in live(x) if not i["annual_value"]]
        add("list", rng.choice(["{D}哪些指标没填年度指标值", "{D}年度指标值为空的指标有哪些"]).format(D=d),
            contains=[i["indicator"] for i in empty][:2], found=bool(empty), tags=["empty_annual"])
        threshold = rng.choice([100, 500, 1000])
        over = [x for x in projects if x["amounts"]["total"] > threshold]
        add("count", f"{d}预算超过{threshold}万的项目有几个", contains=[f"共{len(over)}个"] if over else [],
            found=bool(over), tags=["amount_gt"])
        # reverse: an indicator name unique in this department
        names = defaultdict(list)
        for x in projects:
            for i in live(x):
                names[i["indicator"]].append(x["project"])
        unique = [n for n, ps in names.items() if len(ps) == 1]
        if unique:
            n = rng.choice(unique)
            add("reverse", rng.choice(["{D}的{I}是哪个项目的指标", "{D}的{I}属于哪个项目"]).format(D=d, I=n),
                contains=[names[n][0]], tags=["reverse"])
        # composition
        add("max+share", f"{d}哪个项目最贵、占比多少", contains=[top["project"], f"{top['amounts']['total'] / total * 100:.2f}%"],
            tags=["compose"])
        # follow-ups
        add("count", "它有几个指标", turns=[f"{pname(f, p)}的预算是多少"], contains=[f"{len(rows)}条"], tags=["followup"])
        if having:
            add("sum", "这几个一共多少钱", turns=[f"{d}哪些项目有{cname3}"],
                contains=[money(sum(x["amounts"]["total"] for x in having))], tags=["followup", "previous"])
        outputs = [i for i in rows if i["level1_code"] == "1"]
        if len(outputs) >= 2:
            add("lookup", "第二个呢", turns=[f"{pname(f, p)}有哪些产出指标"], contains=[outputs[1]["period_value"]],
                tags=["followup", "ordinal"])
        add("lookup", rng.choice(["{B}呢", "那{B}呢"]).format(B=q2["project"]),
            turns=[f"{pname(f, q1)}的预算是多少"], contains=[money(q2["amounts"]["total"])], tags=["followup", "swap"])
        add("lookup", "它的绩效目标呢", turns=[f"{d}哪个项目预算最多"], contains=[top["goal"][:8]], tags=["followup"])
        add("refuse", rng.choice(["明天天气怎么样", "你是谁", "讲个笑话", "今天股市怎么样"]),
            turns=[f"{pname(f, p)}的预算是多少"], found=False, refused=True, tags=["offtopic_after_context"])
        # English and mixed
        add("lookup", f"what is the budget of {pname(f, p)}", contains=[money(a)], tags=["english"])
        add("count", f"how many projects does {d} have", contains=[f"共{len(projects)}个"], tags=["english"])
        add("list", f"{d} projects without satisfaction indicators",
            contains=[x["project"] for x in projects if not any(i["level1_code"] == "3" for i in live(x))][:2],
            found=None, tags=["english"])
        # Traditional characters and typos
        add("lookup", traditional(f"{pname(f, p)}的預算是多少"), contains=[money(a)], tags=["traditional"])
        add("lookup", typo(f"{p['project']}", rng) + f"({d})的预算是多少", contains=[money(a)], tags=["typo"])
    # across departments (one table each)
    tables = [(f["department"], f["year"], sum(p["amounts"]["total"] or 0.0 for p in f["projects"])) for f in files]
    best = max(tables, key=lambda t: t[2])
    low = min(tables, key=lambda t: t[2])
    for q in ("哪个部门预算最多", "预算最多的部门是哪个", "哪个单位的预算最高"):
        add("max", q, contains=[best[0], money(best[2])], tags=["by_department"])
    for q in ("哪个部门预算最少", "预算最少的部门"):
        add("min", q, contains=[low[0], money(low[2])], tags=["by_department"])
    ranked = sorted(tables, key=lambda t: -t[2])
    add("top", "预算最多的三个部门", contains=[t[0] for t in ranked[:3]], tags=["by_department"])
    unique = [f for f in files if sum(g["department"] == f["department"] for g in files) == 1]
    for _ in range(10):
        if len(unique) < 2:
            break
        f1, f2 = rng.sample(unique, 2)
        t1, t2 = (sum(p["amounts"]["total"] or 0.0 for p in f["projects"]) for f in (f1, f2))
        winner = f1 if t1 >= t2 else f2
        add("max", f"{f1['department']}和{f2['department']}哪个预算多", contains=[winner["department"], money(max(t1, t2))],
            tags=["by_department"])
        add("difference", f"{f1['department']}比{f2['department']}多多少钱", contains=[money(abs(t1 - t2))],
            tags=["by_department"])
    rng.shuffle(items)
    return items[: per * len(files)] if per else items


def judge(item: Item, answer: Any) -> list[str]:
    why = []
    text = for_matching(answer.answer)
    if item.refused:
        if not answer.refused:
            why.append("应拒答")
        return why
    if answer.refused:
        why.append("不应拒答")
    if item.clarify != bool(answer.clarify):
        why.append("clarify" if item.clarify else f"意外澄清:{answer.clarify.options if answer.clarify else ''}")
    if item.found is not None and answer.found != item.found:
        why.append(f"found={answer.found}")
    for s in item.contains:
        if for_matching(s) not in text:
            why.append(f"缺“{s}”")
    return why


def _pct(values: list[float], q: float) -> float | None:
    return round(sorted(values)[min(len(values) - 1, int(len(values) * q))], 2) if values else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per", type=int, default=0)
    ap.add_argument("--fails", type=int, default=40)
    ap.add_argument("--only", default="")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    truth = json.loads((args.folder / "truth.json").read_text(encoding="utf-8"))
    items = generate(truth, random.Random(args.seed), args.per)
    if args.only:
        items = [i for i in items if args.only in i.op or args.only in i.tags]
    assistant = Assistant()
    assistant.warm()
    by_op: dict[str, list[bool]] = defaultdict(list)
    by_tag: dict[str, list[bool]] = defaultdict(list)
    fails: list[tuple[Item, list[str], str]] = []
    latencies: list[float] = []
    structured: list[float] = []  # answered without an embedding call
    started = time.perf_counter()
    for item in items:
        state = DialogueState()
        for t in item.turns:
            assistant.ask(t, state)
        answer = assistant.ask(item.question, state)
        latencies.append(answer.latency_ms)
        if not any(k in answer.timings for k in ("embed", "describe", "bank")):
            structured.append(answer.latency_ms)
        why = judge(item, answer)
        by_op[item.op].append(not why)
        for tag in item.tags:
            by_tag[tag].append(not why)
        if why:
            fails.append((item, why, answer.answer))
    n = len(items)
    ok = sum(not w for _, w, _ in fails) + (n - len(fails))
    report = {"questions": n, "departments": len(truth["files"]), "accuracy": round(ok / n, 4) if n else None,
              "by_op": {k: {"n": len(v), "acc": round(sum(v) / len(v), 3)} for k, v in sorted(by_op.items())},
              "by_tag": {k: {"n": len(v), "acc": round(sum(v) / len(v), 3)} for k, v in sorted(by_tag.items())},
              "p50_ms": round(sorted(latencies)[n // 2], 2) if n else None,
              "p95_ms": round(sorted(latencies)[int(n * 0.95)], 2) if n else None,
              "structured": {"n": len(structured), "p50_ms": _pct(structured, 0.5), "p95_ms": _pct(structured, 0.95)},
              "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        for item, why, text in fails[: args.fails]:
            print(f"[{item.op}] {item.turns} {item.question} -> {why}\n    {text[:200]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
