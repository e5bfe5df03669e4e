"""Views of the catalog the assistant looks things up in, built once per index version.

At 100k rows a question must not scan every row: project names, indicator names and
values are held in maps, and each project's rows are one lookup away.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from assistant import lexicon as lx
from index.store import Catalog
from ingest.normalize import for_matching
from ingest.records import Indicator, Project, Record
from ingest.taxonomy import PROJECT_SUFFIXES

ProjectKey = tuple[str, str, int, str]  # (project, department, year, source)


def project_key(r: Record) -> ProjectKey:
    return r.project, r.department, r.year, r.source


def short_name(name: str) -> str:
    """信创工作经费 → 信创: the part of a project name people actually say."""
    for suffix in PROJECT_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@dataclass
class Vocabulary:
    """Name → rows maps over one catalog version."""

    catalog: Catalog
    projects: list[Project] = field(init=False)
    indicators: list[Indicator] = field(init=False)
    rows_of: dict[ProjectKey, list[Indicator]] = field(init=False)
    project_of: dict[ProjectKey, Project] = field(init=False)
    by_name: dict[str, list[Indicator]] = field(init=False)  # normalised indicator name → rows
    by_value: dict[str, list[Indicator]] = field(init=False)  # distinctive value text → rows
    forms: list[tuple[str, str]] = field(init=False)  # (full, short) normalised name per project
    by_form: dict[str, list[int]] = field(init=False)  # full or short name → positions in `projects`
    char_index: dict[str, set[int]] = field(init=False)  # character → positions in `projects`
    departments: list[str] = field(init=False)
    of_department: dict[str, list[Project]] = field(init=False)  # department → its projects, in catalog order
    of_source: dict[str, list[Project]] = field(init=False)  # document (file) → its projects, in table order
    places: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        records = self.catalog.records
        self.projects = [r for r in records if isinstance(r, Project)]
        self.indicators = [r for r in records if isinstance(r, Indicator)]
        self.project_of = {project_key(p): p for p in self.projects}
        self.rows_of = defaultdict(list)
        self.by_name = defaultdict(list)
        self.by_value = defaultdict(list)
        for ind in self.indicators:
            self.rows_of[project_key(ind)].append(ind)
            self.by_name[for_matching(ind.indicator)].append(ind)
            if ind.reading and for_matching(ind.reading) != for_matching(ind.indicator):
                self.by_name[for_matching(ind.reading)].append(ind)  # 巩固拓展脱贫攻坚成果 for OCR's 股贫
            for value in {for_matching(ind.period_value), for_matching(ind.annual_value)}:
                # "≤3名", "2台", and a bound that names what it bounds ("≤合同金额")
                if 2 <= len(value) <= 12 and ((re.search(r"\d", value) and re.search(r"[^\d%.]", value))
                                              or re.match(r"[≤≥<>]\D{2,}$", value)):
                    self.by_value[value].append(ind)
        self.forms = [(for_matching(p.project), for_matching(short_name(p.project))) for p in self.projects]
        self.by_form = defaultdict(list)
        self.char_index = defaultdict(set)
        for n, (full, short) in enumerate(self.forms):
            for form in {full, short}:
                if len(form) >= 2:
                    self.by_form[form].append(n)
            for ch in set(full):
                self.char_index[ch].add(n)
        self._longest_form = max((len(f) for f in self.by_form), default=0)
        self._longest_name = max((len(n) for n in self.by_name), default=0)
        self._longest_value = max((len(v) for v in self.by_value), default=0)
        self.of_department = defaultdict(list)
        self.of_source = defaultdict(list)
        for p in self.projects:
            self.of_department[p.department].append(p)
            self.of_source[p.source].append(p)
        self.departments = sorted(self.of_department)
        blob = for_matching(" ".join([*self.departments, *{p.goal for p in self.projects}]))
        self.places = frozenset(p for p in lx.PLACES if p in blob)

    def indicators_of(self, project: Project) -> list[Indicator]:
        """A project's indicator rows, in table order."""
        return self.rows_of.get(project_key(project), [])

    def listed(self, project: Project) -> tuple[int, list[int]]:
        """How many indicators the table lists for a project, and the item numbers it lists that no
        row was read from: a packed cell numbers its items (1、2、…), so "1、2、3、5、6" read as five
        rows is six items with the fourth lost to OCR. Rows without numbers count as they are."""
        rows = self.indicators_of(project)
        numbers = {r.item for r in rows if r.item > 0}
        top = max(numbers, default=0)
        if top <= len(rows) or len(numbers) < len(rows) // 2:
            return len(rows), []
        return top, sorted(set(range(1, top + 1)) - numbers)[: top - len(rows)]

    def project_for(self, r: Record) -> Project:
        """The project row a record belongs to."""
        if isinstance(r, Project):
            return r
        return self.project_of[project_key(r)]

    def named_in(self, q: str) -> list[int]:
        """Positions of projects whose full or short name occurs in the question (dict lookups
        of the question's substrings, so the cost does not grow with the catalog)."""
        hits: set[int] = set()
        for i in range(len(q)):
            for j in range(i + 2, min(len(q), i + self._longest_form) + 1):
                hits.update(self.by_form.get(q[i:j], ()))
        return sorted(hits)

    def named(self, names: set[str]) -> list[Project]:
        """Projects whose full name, in normal form, is one of `names` (dict lookups, catalog order)."""
        hits = {n for form in names for n in self.by_form.get(form, ()) if self.forms[n][0] == form}
        return [self.projects[n] for n in sorted(hits)]

    def names_in(self, q: str) -> list[str]:
        """Indicator names (normal form, ≥ 3 characters) that occur in the question."""
        return _substrings_in(q, self.by_name, 3, self._longest_name)

    def values_in(self, q: str) -> list[str]:
        """Distinctive value texts ("≤3名", "2台") that occur in the question."""
        return _substrings_in(q, self.by_value, 2, self._longest_value)

    def overlapping(self, q: str, k: int = 40) -> list[int]:
        """The k projects sharing the most distinctive characters with the question; characters
        in more than a tenth of all names (经, 费, 项) carry no weight."""
        common = max(20, len(self.projects) // 10)
        scores: dict[int, float] = defaultdict(float)
        for ch in set(q):
            posting = self.char_index.get(ch, ())
            if 0 < len(posting) <= common:
                weight = 1.0 / len(posting)
                for n in posting:
                    scores[n] += 1.0 + weight
        ranked = sorted(scores.items(), key=lambda t: -t[1])
        return [n for n, score in ranked[:k] if score >= 2.0]


def _substrings_in(q: str, keys: dict[str, list[Indicator]], shortest: int, longest: int) -> list[str]:
    found: list[str] = []
    for i in range(len(q)):
        for j in range(i + shortest, min(len(q), i + longest) + 1):
            if q[i:j] in keys:
                found.append(q[i:j])
    return list(dict.fromkeys(found))
