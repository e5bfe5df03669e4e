"""Records ↔ llama-index nodes: text written for retrieval, metadata for filters and citations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ingest.normalize import for_matching
from ingest.records import Indicator, Project, Record, from_dict, to_dict

if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

# Flat fields people filter by; everything else travels in `record` (the full JSON).
FILTER_FIELDS = ("kind", "department", "year", "project", "level1", "level2", "level1_code", "level2_code",
                 "indicator", "source", "line")


def retrieval_text(record: Record) -> str:
    """What gets embedded and tokenised: the row's words without field labels.

    Labels and a yearly value that repeats the period value only dilute the embedding.
    Known OCR misreadings are added in corrected form so either spelling finds the row.
    """
    if isinstance(record, Indicator):
        values = [record.period_value]
        if record.annual_value and record.annual_value != record.period_value:
            values.append(record.annual_value)
        parts = [record.project, record.level1, record.level2, record.indicator, *values]
    else:
        amount = f"{record.total:.2f}万元" if record.total is not None else ""
        parts = [record.project, "预算", amount, record.goal]
    text = " ".join(p for p in parts if p)
    fixed = for_matching(text)
    return text if fixed == text.replace(" ", "") else f"{text} {fixed}"


def node_metadata(record: Record) -> dict[str, Any]:
    """Chroma-safe metadata: the flat filter fields plus `record`, the full record as JSON."""
    data = to_dict(record)
    metadata: dict[str, Any] = {k: data[k] for k in FILTER_FIELDS if k in data and data[k] is not None}
    metadata["repaired"] = record.repaired
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
