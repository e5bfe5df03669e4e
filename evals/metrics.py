"""Retrieval and answer metrics over the gold set (one function per metric)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ingest.normalize import for_matching

Key = tuple[str, str | None]  # (project, indicator or None for the project row)


def key(project: str, indicator: str | None) -> Key:
    return for_matching(project), for_matching(indicator) if indicator else None


def first_hit_rank(ranked: Sequence[Key], relevant: set[Key]) -> int | None:
    """1-based rank of the first relevant item, or None."""
    return next((n for n, k in enumerate(ranked, 1) if k in relevant), None)


def hit_at(ranked: Sequence[Key], relevant: set[Key], k: int) -> float:
    rank = first_hit_rank(ranked, relevant)
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(ranked: Sequence[Key], relevant: set[Key]) -> float:
    rank = first_hit_rank(ranked, relevant)
    return 1.0 / rank if rank else 0.0


def ndcg_at(ranked: Sequence[Key], relevant: set[Key], k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal ranks min(#relevant, k) relevant items first."""
    seen: set[Key] = set()
    dcg = 0.0
    for n, item in enumerate(ranked[:k], 1):
        if item in relevant and item not in seen:
            dcg += 1.0 / math.log2(n + 1)
            seen.add(item)
    ideal = sum(1.0 / math.log2(n + 1) for n in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
