"""Embeddings cached by content hash: a corpus is embedded once, whatever gets rebuilt."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.embedding import EMBED_BATCH


class EmbeddingCache:
    """SQLite table (model, sha1(text)) → float32 vector.

    Every computed batch is committed at once, so an interrupted build resumes where it
    stopped. WAL mode lets several processes (two builds, a build and the bench) share it.
    """

    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.model = model
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=120)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM emb WHERE model=?", [self.model]).fetchone()[0]

    def embed(self, texts: Sequence[str], compute: Callable[[list[str]], Sequence[Sequence[float]]],
              batch: int = EMBED_BATCH) -> tuple[np.ndarray, list[bool]]:
        """Vectors (n × dim, float32) for texts, computing only the missing ones.

        Also returns, per text, whether it was computed now (a text repeated in `texts` is
        computed once, for its first occurrence).
        """
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self._db.execute(
                f"SELECT key, vec FROM emb WHERE model=? AND key IN ({','.join('?' * len(chunk))})",
                [self.model, *chunk],
            )
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        text_of = dict(zip(keys, texts, strict=False))
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            vectors = np.asarray(compute([text_of[k] for k in chunk]), dtype=np.float32)
            self._db.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                [(self.model, k, v.tobytes()) for k, v in zip(chunk, vectors, strict=True)],
            )
            self._db.commit()
            found.update(zip(chunk, vectors, strict=True))
        first = set(missing)
        computed = []
        for k in keys:
            computed.append(k in first)
            first.discard(k)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32), []
        return np.stack([found[k] for k in keys]), computed
