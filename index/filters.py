"""Chroma `where` clauses evaluated on the in-memory catalog, as one boolean mask over its rows.

At 100k rows embedded Chroma answers a filtered query in 50-500 ms (it materialises the
matching ids from SQLite, then searches the graph with them); the same filter here is a few
integer comparisons per row (< 1 ms), after which `Index.dense` searches the allowed rows
itself. The semantics follow Chroma's: a row without the key never matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from index.nodes import FILTER_FIELDS
from ingest.records import Project, Record

NUMERIC = ("year", "line", "amount")
PREPARED = ("kind", "department", "project", "source", "level1_code", "level2_code")  # what questions filter on
_COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "$gt": np.greater, "$gte": np.greater_equal, "$lt": np.less, "$lte": np.less_equal,
}


def metadata_value(record: Record, key: str) -> Any:
    """The value `node_metadata` stores under `key` (None when it stores none)."""
    if key == "repaired":
        return record.repaired
    if key == "amount":
        return float(record.total) if isinstance(record, Project) and record.total is not None else None
    if isinstance(record, Project) and key in ("level1", "level2", "indicator"):
        return ""
    if key not in FILTER_FIELDS:
        return None
    return getattr(record, key, None)


class Columns:
    """Filterable metadata of every catalog row: string keys as integer codes, numbers as floats."""

    def __init__(self, records: Sequence[Record], state: dict[str, Any] | None = None) -> None:
        self.size = len(records)
        self._records = records
        self._codes: dict[str, tuple[np.ndarray, dict[Any, int]]] = dict((state or {}).get("codes", {}))
        self._numbers: dict[str, np.ndarray] = dict((state or {}).get("numbers", {}))

    def prepare(self, keys: Sequence[str] = PREPARED) -> None:
        """Build the columns of the keys questions filter on, now rather than on first use."""
        for key in keys:
            self._coded(key)

    def state(self) -> dict[str, Any]:
        """What was built, to be saved with the catalog (`Columns(records, state)` takes it back)."""
        return {"codes": dict(self._codes), "numbers": dict(self._numbers)}

    def _coded(self, key: str) -> tuple[np.ndarray, dict[Any, int]]:
        if key not in self._codes:
            table: dict[Any, int] = {}
            codes = np.fromiter(
                (-1 if (v := metadata_value(r, key)) is None else table.setdefault(v, len(table)) for r in self._records),
                dtype=np.int32, count=self.size)
            self._codes[key] = (codes, table)
        return self._codes[key]

    def _numeric(self, key: str) -> np.ndarray:
        if key not in self._numbers:
            self._numbers[key] = np.fromiter(
                (np.nan if (v := metadata_value(self._records[n], key)) is None else float(v) for n in range(self.size)),
                dtype=np.float64, count=self.size)
        return self._numbers[key]

    def mask(self, where: dict[str, Any]) -> np.ndarray | None:
        """Rows matching a Chroma `where` clause, or None for a clause this does not handle."""
        try:
            return self._clause(where)
        except _Unsupported:
            return None

    def _clause(self, where: dict[str, Any]) -> np.ndarray:
        if len(where) != 1:  # Chroma reads several keys as an implicit $and
            return self._clause({"$and": [{k: v} for k, v in where.items()]})
        [(key, condition)] = where.items()
        if key in ("$and", "$or"):
            masks = [self._clause(c) for c in condition]
            if not masks:
                raise _Unsupported(key)
            out = masks[0].copy()
            for m in masks[1:]:
                out = (out & m) if key == "$and" else (out | m)
            return out
        if key.startswith("$") or key not in (*FILTER_FIELDS, "repaired", "amount"):
            raise _Unsupported(key)
        if not isinstance(condition, dict):
            condition = {"$eq": condition}
        if len(condition) != 1:
            raise _Unsupported(str(condition))
        [(op, value)] = condition.items()
        if op in _COMPARE:
            if key not in NUMERIC:
                raise _Unsupported(f"{key} {op}")
            numbers = self._numeric(key)
            with np.errstate(invalid="ignore"):
                return _COMPARE[op](numbers, float(value))
        codes, table = self._coded(key)
        present = codes >= 0
        if op in ("$eq", "$ne"):
            hit = codes == table.get(value, -2)
            return hit if op == "$eq" else present & ~hit
        if op in ("$in", "$nin"):
            wanted = np.fromiter((table[v] for v in value if v in table), dtype=np.int32)
            hit = np.isin(codes, wanted)
            return hit if op == "$in" else present & ~hit
        raise _Unsupported(op)


class _Unsupported(Exception):
    pass
