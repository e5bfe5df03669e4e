"""Repaired readings of names, from the document's own spelling.

OCR misreads a character inside a name (`巩固拓展股贫攻坚成果`) that the same document prints
correctly elsewhere (the goal beside it: `巩固拓展脱贫攻坚成果`). When a six-character stretch of a
name appears nowhere else in the document, but a stretch differing from it in one inner Chinese
character does, the name with that character replaced is offered as its reading: stored in
`reading`, flagged `reading`, and put into the retrieval text so either spelling finds the row.
The name field and the quote keep what the table says.
"""

from __future__ import annotations

import re

from ingest.normalize import for_matching
from ingest.records import Indicator, ParsedFile, Project, Record

WINDOW = 6
INNER = (2, 3)  # positions in the window that may differ: two agreeing characters on each side
MAX_TEXT = 2000  # longer texts are not indexed (a 1 MB cell would cost seconds), longer names not read
MAX_NAME = 200


_HAN5 = re.compile(r"[\u4e00-\u9fff]{5}")


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _texts(record: Record) -> list[str]:
    if isinstance(record, Project):
        return [record.project, record.goal, record.period_goal]
    return [record.indicator, record.period_value, record.annual_value]


def _name(record: Record) -> str:
    return record.project if isinstance(record, Project) else record.indicator


def add_readings(parsed: ParsedFile) -> None:
    """Set `reading` (and the flag) on records whose name has a misread the document corrects elsewhere."""
    records: list[Record] = [*parsed.projects, *parsed.indicators]
    names: dict[int, str] = {}
    windows: dict[str, int] = {}  # six-character stretches of names -> how often the document prints them
    wanted: dict[str, set[str]] = {}  # a stretch with one inner character blanked -> stretches printed like it
    for n, record in enumerate(records):
        name = for_matching(_name(record))
        if not WINDOW <= len(name) <= MAX_NAME or record.reading:
            continue
        names[n] = name
        for i in range(len(name) - WINDOW + 1):
            gram = name[i : i + WINDOW]
            windows[gram] = 0
            for q in INNER:
                # Two Chinese characters agree on each side: a word misread inside, not a suffix that varies.
                if _HAN5.fullmatch(gram, q - 2, q + 3):
                    wanted[gram[:q] + "\0" + gram[q + 1 :]] = set()
    if not names:
        return
    seen: set[str] = set()
    for record in records:
        for text in _texts(record):
            norm = for_matching(text[:MAX_TEXT])
            if len(norm) < WINDOW or norm in seen:
                continue
            seen.add(norm)
            for i in range(len(norm) - WINDOW + 1):
                gram = norm[i : i + WINDOW]
                if gram in windows:
                    windows[gram] += 1
                for q in INNER:
                    key = gram[:q] + "\0" + gram[q + 1 :]
                    if key in wanted:
                        wanted[key].add(gram)
    for n, name in names.items():
        record = records[n]
        for i in range(len(name) - WINDOW + 1):
            gram = name[i : i + WINDOW]
            if windows.get(gram, 0) > name.count(gram):
                continue  # the document prints this stretch elsewhere too: not a misread
            for q in INNER:
                others = {g for g in wanted.get(gram[:q] + "\0" + gram[q + 1 :], ()) if g != gram and _han(g[q])}
                if len(others) == 1:
                    right = next(iter(others))
                    record.reading = name[: i + q] + right[q] + name[i + q + 1 :]
                    record.flags.append("reading")
                    break
            if record.reading:
                break


def readings(parsed: ParsedFile) -> list[tuple[str, str]]:
    """(name as printed, reading) of every record that has one: for reports and tests."""
    return [(_name(r), r.reading) for r in [*parsed.projects, *parsed.indicators] if r.reading]


__all__ = ["Indicator", "add_readings", "readings"]
