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

ProjectKey = tuple[str, str, int, str]  # (project, department, year, source)


def project_key(r: Record) -> ProjectKey:
    return r.project, r.department, r.year, r.source


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
    char_index: dict[str, set[int]] = field(init=False)  # character → positions in `projects`
    departments: list[str] = field(init=False)
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
            for value in {for_matching(ind.period_value), for_matching(ind.annual_value)}:
                if 2 <= len(value) <= 12 and re.search(r"\d", value) and re.search(r"[^\d%.]", value):
                    self.by_value[value].append(ind)
        self.char_index = defaultdict(set)
        for n, p in enumerate(self.projects):
            for ch in set(for_matching(p.project)):
                self.char_index[ch].add(n)
        self.departments = sorted({p.department for p in self.projects})
        blob = for_matching(" ".join([*self.departments, *{p.goal for p in self.projects}]))
        self.places = frozenset(p for p in lx.PLACES if p in blob)

    def indicators_of(self, project: Project) -> list[Indicator]:
        """A project's indicator rows, in table order."""
        return self.rows_of.get(project_key(project), [])

    def project_for(self, r: Record) -> Project:
        """The project row a record belongs to."""
        if isinstance(r, Project):
            return r
        return self.project_of[project_key(r)]

    def candidates(self, q: str, min_shared: int = 2) -> list[Project]:
        """Projects sharing at least `min_shared` distinct characters with the question."""
        counts: dict[int, int] = defaultdict(int)
        for ch in set(q):
            for n in self.char_index.get(ch, ()):
                counts[n] += 1
        return [self.projects[n] for n, c in sorted(counts.items()) if c >= min_shared]
