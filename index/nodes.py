"""Records ↔ llama-index nodes: text written for retrieval, metadata for filters and citations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ingest.limits import field_limit
from ingest.normalize import for_matching
from ingest.records import Indicator, Project, Record, from_dict, to_dict

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

# Flat fields people filter by; everything else travels in `record` (the full JSON).
FILTER_FIELDS = ("kind", "department", "year", "project", "level1", "level2", "level1_code", "level2_code",
                 "indicator", "source", "line")
# Flat copies of newer record fields, for Chroma-side filters (lists are stored as JSON strings).
EXTRA_FIELDS = ("reading", "flags", "operator", "number", "unit", "weight", "actual_value", "score")


def _cut(text: str, limit: int) -> str:
    """A field as far as it is embedded: long text (a 1 MB cell) is kept whole in the record, cut here."""
    return text if len(text) <= limit else text[:limit]


def retrieval_text(record: Record) -> str:
    """What gets embedded and tokenised: the row's words without field labels.

    Labels and a yearly value that repeats the period value only dilute the embedding. A name's
    repaired reading (`reading`) is added, so either spelling finds the row. Each field is cut at
    JIXIAO_MAX_FIELD_CHARS characters (the record keeps the whole text, flagged `long_text`).
    """
    if isinstance(record, Indicator):
        values = [record.period_value]
        if record.annual_value and record.annual_value != record.period_value:
            values.append(record.annual_value)
        if record.actual_value and record.actual_value not in values:
            values.append(record.actual_value)
        parts = [record.project, record.level1, record.level2, record.indicator, record.reading, *values]
    else:
        amount = f"{record.total:.2f}万元" if record.total is not None else ""
        parts = [record.project, record.reading, "预算", amount, record.goal]
    limit = field_limit()
    text = " ".join(_cut(p, limit) for p in parts if p)
    fixed = for_matching(text)
    return text if fixed == text.replace(" ", "") else f"{text} {fixed}"


def node_metadata(record: Record) -> dict[str, Any]:
    """Chroma-safe metadata: the flat filter fields plus `record`, the full record as JSON."""
    data = to_dict(record)
    metadata: dict[str, Any] = {k: data[k] for k in FILTER_FIELDS if k in data and data[k] is not None}
    metadata["repaired"] = record.repaired
    for key in EXTRA_FIELDS:
        value = data.get(key)
        if value in (None, "", []):
            continue
        metadata[key] = json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
    if isinstance(record, Project):
        metadata["level1"] = metadata["level2"] = metadata["indicator"] = ""
        if record.total is not None:
            metadata["amount"] = float(record.total)
    metadata["record"] = json.dumps(data, ensure_ascii=False)
    return metadata


def to_node(record: Record, extra: dict[str, Any] | None = None) -> TextNode:
    """A node whose id is the record id and whose metadata rebuilds the record."""
    from llama_index.core.schema import TextNode  # llama-index loads only for code that wants nodes

    metadata = node_metadata(record)
    metadata.update(extra or {})
    keys = list(metadata)
    return TextNode(id_=record.id, text=retrieval_text(record), metadata=metadata,
                    excluded_embed_metadata_keys=keys, excluded_llm_metadata_keys=keys)


def from_metadata(metadata: dict[str, Any]) -> Record:
    """The record a node's metadata carries."""
    return from_dict(json.loads(metadata["record"]))
