"""Records of every layout round-trip through Chroma-safe node metadata; the retrieval text carries
a name's repaired reading and is cut where a field is too long to embed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.nodes import from_metadata as rebuild
from index.nodes import node_metadata, retrieval_text
from ingest import parse_file
from ingest.limits import field_limit

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "data" / "2024_baiyun_gongshanglian_performance_targets.txt",
         *sorted((ROOT / "tests" / "fixtures" / "real_tables").glob("*[0-9].txt")), ROOT / "tests" / "fixtures" / "seed.docx"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_metadata_is_chroma_safe_and_rebuilds_the_record(path: Path) -> None:
    for record in parse_file(path).records:
        metadata = node_metadata(record)
        assert all(isinstance(v, str | int | float | bool) for v in metadata.values()), metadata
        assert rebuild(metadata) == record
        if record.flags:
            assert json.loads(metadata["flags"]) == record.flags


def test_new_fields_travel_flat_for_filters() -> None:
    parsed = parse_file(ROOT / "tests" / "fixtures" / "real_tables" / "nm_wuhai_gongxiaoshe_2021.txt")
    due = next(i for i in parsed.indicators if i.indicator == "项目财政资金到位时间")
    metadata = node_metadata(due)
    assert (metadata["operator"], metadata["weight"], json.loads(metadata["flags"])) == ("=", 10.0, ["serial_date"])
    assert "number" not in metadata  # None values are left out, never stored as null


def test_retrieval_text_finds_either_spelling_and_is_bounded(tmp_path: Path) -> None:
    seed = parse_file(FILES[0])
    ind = next(i for i in seed.indicators if i.reading)
    assert "巩固拓展股贫攻坚成果" in retrieval_text(ind) and "巩固拓展脱贫攻坚成果" in retrieval_text(ind)
    assert all("质量督" not in retrieval_text(r) for r in seed.records)  # no confusion list applied to names
    lines = FILES[0].read_text(encoding="utf-8").splitlines()
    cells = lines[6].split("\t")
    cells[5] = "长" * (field_limit() * 5)
    lines[6] = "\t".join(cells)
    path = tmp_path / "long.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    project = parse_file(path).projects[0]
    assert len(project.goal) == field_limit() * 5 and "long_text" in project.flags
    assert len(retrieval_text(project)) < field_limit() + 100
