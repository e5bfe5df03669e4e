"""Word documents (.docx): paragraphs and tables in document order, as one Sheet.

Each paragraph outside a table is a one-cell row (titles, `单位:万元`); each table row is a row of
cells with merged cells filled: a horizontal span (gridSpan) repeats its text, a vertical merge
(vMerge continue) takes the text of the cell above, and both are marked merged. Rows are numbered
in document order; that number is the `line` records cite.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from errors import IngestError
from ingest.limits import budget
from ingest.table import Row, Sheet

MAX_SPAN = 1000


def _text(element: object, qn: object) -> str:
    paragraphs = []
    for p in element.iter(qn("w:p")):  # type: ignore[attr-defined]
        paragraphs.append("".join(t.text or "" for t in p.iter(qn("w:t"))))  # type: ignore[operator]
    return "\n".join(paragraphs).strip()


def read_docx(path: Path) -> list[Sheet]:
    """The document as one Sheet (positional cells). Raises IngestError for a broken file."""
    from docx import Document
    from docx.oxml.ns import qn

    from ingest.tabular import _check_archive

    _check_archive(path, "DOCX")
    b = budget()
    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(path.name, f"不是有效的 DOCX 文件({type(exc).__name__}),需要 Word 2007 及以上的 .docx") from exc
    except Exception as exc:  # python-docx raises its own kinds for a package that is not a Word document
        raise IngestError(path.name, f"不是有效的 DOCX 文件({type(exc).__name__}: {exc})") from exc
    rows: list[Row] = []
    cells_total = 0
    for child in document.element.body.iterchildren():
        b.tick()
        if child.tag == qn("w:p"):
            text = _text(child, qn)
            rows.append(Row(len(rows) + 1, [text] if text else [], True, text))
            b.add_rows()
        elif child.tag == qn("w:tbl"):
            above: list[str] = []
            for tr in child.iter(qn("w:tr")):
                if tr.getparent() is not child:
                    continue  # a nested table's rows are part of their cell's text
                b.add_rows()
                cells: list[str] = []
                merged: set[int] = set()
                pr = tr.find(qn("w:trPr"))
                before = pr.find(qn("w:gridBefore")) if pr is not None else None
                skip = int(before.get(qn("w:val"), "0")) if before is not None else 0
                cells.extend([""] * min(skip, MAX_SPAN))
                for tc in tr.iterchildren(qn("w:tc")):
                    tcpr = tc.find(qn("w:tcPr"))
                    span_el = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
                    span = int(span_el.get(qn("w:val"), "1")) if span_el is not None else 1
                    b.check_merged(span, f"gridSpan={span}", "表格")
                    vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
                    continued = vmerge is not None and vmerge.get(qn("w:val"), "continue") == "continue"
                    col = len(cells)
                    text = above[col] if continued and col < len(above) else _text(tc, qn)
                    for k in range(max(1, span)):
                        cells.append(text)
                        if continued or k:
                            merged.add(col + k)
                cells_total += len(cells)
                b.check_cells(cells_total, "表格")
                above = cells
                rows.append(Row(len(rows) + 1, cells, True, "\t".join(cells).rstrip("\t"), frozenset(merged)))
    return [Sheet("", rows, positional=True)]
