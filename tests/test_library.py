"""index/library.py: uploads from bytes + a client's file name, stored copies, source lines."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.library import MAX_NAME, Library, safe_name


@pytest.fixture
def library(fresh_index) -> Library:  # type: ignore[no-untyped-def]
    return Library(fresh_index)


@pytest.mark.parametrize(("client", "stored"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\x\\表格 2024.csv", "表格 2024.csv"),
    ("/abs/path/t.xlsx", "t.xlsx"),
    (".hidden.txt", "hidden.txt"),
    ("a<b>:c|?*.txt", "a_b__c___.txt"),
    ("tab\there\x00.txt", "tab_here_.txt"),
    ("..", ""),
    ("", ""),
])
def test_safe_name_keeps_only_a_plain_file_name(client: str, stored: str) -> None:
    assert safe_name(client) == stored


@given(st.text(max_size=400))
def test_safe_name_never_yields_a_path(name: str) -> None:
    clean = safe_name(name)
    assert "/" not in clean and "\\" not in clean and not clean.startswith(".")
    assert len(clean) <= MAX_NAME and all(c.isprintable() or c == " " for c in clean)
    assert safe_name(clean) == clean


def test_an_upload_is_indexed_stored_under_its_safe_name_and_its_lines_can_be_shown(library: Library,
                                                                                     seed_path: Path) -> None:
    result = library.upload([("../../somewhere/" + seed_path.name, seed_path.read_bytes())])
    assert [r.status for r in result.reports] == ["added"] and not result.rejected
    assert result.message.startswith("导入 1 个文件")
    stored = library.uploads_dir / seed_path.name
    assert stored.read_bytes() == seed_path.read_bytes()
    [info] = library.documents()
    assert Path(info.path) == stored and info.rows == 35
    record = next(r for r in library.index.catalog.indicators if r.indicator == "强化社会发动")
    lines = library.source_lines(record)
    assert lines is not None and "强化社会发动" in lines[record.line]
    assert not any((library.uploads_dir / ".staging").iterdir())


def test_bad_uploads_are_refused_with_a_reason_and_the_rest_go_in(library: Library, seed_path: Path) -> None:
    seed = seed_path.read_bytes()
    result = library.upload([
        ("setup.exe", b"MZ"),
        ("empty.txt", b""),
        ("2024_kexie.txt", io.BytesIO(seed.replace("工商业联合会".encode(), "科学技术协会".encode()))),
        ("2024_kexie.txt", seed),
        ("broken.txt", "这不是一张绩效目标表\n".encode()),
    ])
    reasons = dict(result.rejected)
    assert "不支持的文件类型" in reasons["setup.exe"] and "空" in reasons["empty.txt"]
    assert "两次" in reasons["2024_kexie.txt"]
    assert [(r.source, r.status) for r in result.reports] == [("2024_kexie.txt", "added"), ("broken.txt", "error")]
    assert not (library.uploads_dir / "broken.txt").exists()  # only indexed files are kept
    assert "1 个文件" in result.message and "4 个未能导入" in result.message


def test_size_and_count_limits_come_from_settings(fresh_index, seed_path: Path) -> None:
    small = Library(type(fresh_index)(replace(fresh_index.settings, upload_max_mb=0.001, upload_max_files=2),
                                      embedding_cache=fresh_index.embedding_cache))
    result = small.upload([("big.txt", io.BytesIO(seed_path.read_bytes()))])
    assert "JIXIAO_UPLOAD_MAX_MB" in dict(result.rejected)["big.txt"] and not result.reports
    result = small.upload([(f"{n}.txt", b"x") for n in range(3)])
    assert len(result.rejected) == 3 and "JIXIAO_UPLOAD_MAX_FILES" in result.rejected[0][1]


def test_a_failed_replacement_keeps_the_earlier_good_copy(library: Library, seed_path: Path) -> None:
    library.upload([(seed_path.name, seed_path.read_bytes())])
    result = library.upload([(seed_path.name, "坏文件".encode())])
    assert [r.status for r in result.reports] == ["error"]
    assert (library.uploads_dir / seed_path.name).read_bytes() == seed_path.read_bytes()
    assert [d.source for d in library.documents()] == [seed_path.name]


def test_a_duplicate_upload_is_reported_and_not_stored(library: Library, seed_path: Path) -> None:
    library.upload([(seed_path.name, seed_path.read_bytes())])
    result = library.upload([("副本.txt", seed_path.read_bytes())])
    [report] = result.reports
    assert (report.status, report.duplicate_of) == ("duplicate", seed_path.name)
    assert "已存在" in result.message and not (library.uploads_dir / "副本.txt").exists()


def test_remove_deletes_the_stored_copy(library: Library, seed_path: Path) -> None:
    library.upload([(seed_path.name, seed_path.read_bytes())])
    assert library.remove(seed_path.name) == 35
    assert not (library.uploads_dir / seed_path.name).exists() and library.documents() == []
    assert library.remove(seed_path.name) == 0


def test_source_path_reads_only_stored_files_and_the_data_directory(library: Library, seed_path: Path,
                                                                    tmp_path: Path) -> None:
    assert library.source_path(seed_path.name) == library.settings.data_dir / seed_path.name
    secret = tmp_path / "secret.txt"
    secret.write_text("x", encoding="utf-8")
    for name in (str(secret), "../secret.txt", "../../../etc/passwd", ".staging", "", "nothing.txt"):
        assert library.source_path(name) is None, name
    library.uploads_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(secret, library.uploads_dir / "link.txt")  # a link out of the library is not followed
    assert library.source_path("link.txt") is None


def test_opening_the_library_removes_staging_left_by_a_dead_process(fresh_index) -> None:
    dead = fresh_index.settings.uploads_dir / ".staging" / "999999999-abc"
    dead.mkdir(parents=True)
    (dead / "half.txt").write_bytes(b"x")
    mine = fresh_index.settings.uploads_dir / ".staging" / f"{os.getpid()}-live"
    mine.mkdir()
    Library(fresh_index)
    assert not dead.exists() and mine.exists()
