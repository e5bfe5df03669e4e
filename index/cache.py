"""Embeddings cached by content hash: a corpus is embedded once, whatever gets rebuilt."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


class EmbeddingCache:
    """SQLite table (model, sha1(text)) → float32 vector."""

    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str], compute: Callable[[list[str]], list[list[float]]],
              batch: int = 64) -> tuple[list[list[float]], int]:
        """Vectors for texts, computing only the missing ones; returns (vectors, computed count)."""
        keys = [self.key(t) for t in texts]
        found: dict[str, list[float]] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self._db.execute(
                f"SELECT key, vec FROM emb WHERE model=? AND key IN ({','.join('?' * len(chunk))})",
                [self.model, *chunk],
            )
            found.update({k: np.frombuffer(v, dtype=np.float32).tolist() for k, v in rows})
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        text_of = dict(zip(keys, texts, strict=True))
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            vectors = compute([text_of[k] for k in chunk])
            self._db.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                [(self.model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(chunk, vectors, strict=True)],
            )
            self._db.commit()
            found.update(zip(chunk, vectors, strict=True))
        return [found[k] for k in keys], len(missing)
