"""Turn parsed cells into records with stable ids; shared by every input format."""

from __future__ import annotations

from typing import Any

from ingest.indicators import ParsedItem
from ingest.records import Document, Indicator, Project, Repair, stable_id


class RecordBuilder:
    """Makes the records of one document; ids are content hashes, unique within the file."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._seen: dict[str, int] = {}

    def _id(self, *parts: object) -> str:
        base = stable_id(self.document.source, *parts)
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        return base if n == 0 else stable_id(base, n)

    def project(
        self,
        *,
        line: int,
        name: str,
        amounts: dict[str, float | None],
        goal: str,
        text: str,
        unit_name: str,
        repairs: list[Repair] | None = None,
        **extra: Any,
    ) -> Project:
        """A project record; `extra` sets the optional fields (amount_text, flags, …)."""
        doc = self.document
        return Project(
            id=self._id("project", name, *amounts.values(), goal),
            source=doc.source,
            line=line,
            department=doc.department,
            year=doc.year,
            unit_name=unit_name,
            project=name,
            total=amounts.get("total"),
            fiscal=amounts.get("fiscal"),
            special=amounts.get("special"),
            other=amounts.get("other"),
            goal=goal,
            text=text,
            repairs=list(repairs or []),
            **extra,
        )

    def indicator(self, *, project: str, line: int, item: ParsedItem, **extra: Any) -> Indicator:
        """An indicator record; `extra` sets the optional fields (value parts, weight, flags, …)."""
        doc = self.document
        level1, level2 = item.level1, item.level2  # None: a template without category columns
        return Indicator(
            id=self._id("indicator", project, level1.code if level1 else "", level2.code if level2 else "", item.indicator,
                        item.period_value, item.annual_value),
            source=doc.source,
            line=line,
            department=doc.department,
            year=doc.year,
            project=project,
            level1=level1.name if level1 else "",
            level1_code=level1.code if level1 else "",
            level2=level2.name if level2 else "",
            level2_code=level2.code if level2 else "",
            indicator=item.indicator,
            period_value=item.period_value,
            annual_value=item.annual_value,
            text=item.text,
            item=item.number,
            repairs=item.repairs,
            **extra,
        )
