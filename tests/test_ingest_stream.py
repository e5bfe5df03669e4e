"""Copies that lost their row breaks (ingest.stream), run-together labels (ingest.keyvalue): properties
on any input, and the shapes the real tables showed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errors import IngestError
from ingest import parse_file
from ingest.headers import column_role
from ingest.keyvalue import split_labels
from ingest.normalize import clean, drop_readings
from ingest.stream import Stream, cut, run_together_titles, split_run_together

EXAMPLES = int(os.environ.get("INGEST_HYPOTHESIS_EXAMPLES", "120"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ROLES = [column_role(t) for t in ("一级指标", "二级指标", "三级指标", "指标值", "权重")]
CELLS = [
    "产出指标", "效益指标", "满意度指标", "数量指标", "质量指标", "社会效益指标", "服务对象满意度指标", "经济效益", "指标",
    "培训人次", "设备完好率", "群众满意度", "≥95%", "100%", "≥", "10", "20", "个", "%", "有效保障", "", "", "(≥**个)",
]
stream_cells = st.lists(st.sampled_from(CELLS), max_size=60)


@FAST
@given(stream_cells, st.booleans())
def test_a_stream_is_cut_into_ordered_disjoint_rows(cells: list[str], tokens: bool) -> None:
    """Every cell lands in at most one place; rows keep the stream's order; columns rise within a row."""
    stream = Stream(cells, list(range(1, len(cells) + 1)), [" "] * max(0, len(cells) - 1) if tokens else None)
    rows = cut(stream, ROLES)
    last_end = 0
    for row in rows:
        spans = list(row.items())
        assert [col for col, _ in spans] == sorted(col for col, _ in spans)
        for _, (a, b) in spans:
            assert last_end <= a < b <= len(cells)
            assert cells[a].strip()  # an empty cell holds a place, it is never a value
            last_end = b


@FAST
@given(st.lists(st.sampled_from(["项目名称", "主管部门", "青山区教育局", "项目执行单位", "化工区学校", "年度资金总额", "16",
                                 "总体目标", "年度目标", "单位", "(万元)", "资金"]), min_size=1, max_size=8).map("".join))
def test_labels_run_together_are_split_without_losing_a_character(text: str) -> None:
    parts = split_labels(text)
    assert not parts or "".join(parts) == text


@FAST
@given(st.lists(st.sampled_from(["产出指标", "数量指标", "成本指标", "社会公众或服务对象满意度指标", "培训人次", "覆盖率",
                                 "≥", "90", "%", "100", "个", "稳步提高", "1条", "2km"]), min_size=1, max_size=6).map("".join))
def test_a_row_run_together_is_split_without_losing_a_character(text: str) -> None:
    cells = split_run_together(text, ROLES[:4])
    assert "".join(cells[i] for i in (0, 1, 2, 3)) == clean(text)


def test_headers_run_together_and_readings() -> None:
    assert run_together_titles("绩效指标一级指标二级指标指标内容指标值") == ["绩效指标", "一级指标", "二级指标", "指标内容", "指标值"]
    assert run_together_titles("项目名称农村义务教育薄弱学校") == []
    assert split_labels("项目主管部门青山区教育局项目执行单位化工区学校") == ["项目主管部门", "青山区教育局", "项目执行单位", "化工区学校"]
    assert drop_readings("績效目標(biāo) | 一級(jí)指標") == "績效目標 | 一級指標"
    assert drop_readings("满意度(pc端)") == "满意度(pc端)"  # no tone mark: not a reading


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream_cells, st.sampled_from(["lines", "cells", "flat"]))
def test_any_streamed_copy_parses_or_fails_with_ingest_error(cells: list[str], shape: str) -> None:
    """A form whose grid is a stream of any cells: records, or one clear IngestError — and every row accounted for."""
    head = ["绩效目标申报表(2023年度)", "项目名称", "测试项目经费", "主管部门", "某某局", "一级指标", "二级指标", "三级指标", "指标值"]
    body = head + cells
    if shape == "lines":
        text = "\n\n".join(c for c in body if c)
    elif shape == "cells":
        text = "\n".join(f"{c} |" if c else "|" for c in body)
    else:
        text = " ".join(c for c in body if c)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.txt"
        path.write_text(text + "\n", encoding="utf-8")
        try:
            parsed = parse_file(path)
        except IngestError:
            return
    acc = parsed.row_accounting()
    assert acc["rows_in"] == len(parsed.rows)
    assert all(i.project == "测试项目经费" for i in parsed.indicators)
    printed = "".join(clean(c) for c in cells)
    for ind in parsed.indicators:  # nothing invented: a name is a run of the stream's cells, as printed
        assert ind.indicator and clean(ind.indicator) in printed, ind.indicator


def test_a_copy_that_ran_every_cell_together_is_read_and_said_so(tmp_path: Path) -> None:
    """The generator's `joined` form: labels, amounts and numeric values split back; phrase values
    cannot be told from the name, so every such row is named in a warning (nothing lost silently)."""
    from ingest import bench, synth

    result = bench.run(departments=10, noise="moderate", seed=2, layouts=("form",), formats=("joined",))
    assert result["fields"]["amounts"] == 1.0 and result["fields"]["project"] == 1.0
    assert result["fields"]["indicator"] >= 0.6
    assert result["silent_losses"] == 0 and result["misattributions"] == 0 and result["failed_files"] == 0
    assert set(result["formats"]) == {"form/joined"}
    paths = synth.generate(2, "none", 1, tmp_path, layouts=("form",), formats=("joined",))
    parsed = parse_file(paths[0])
    (guessed,) = [w for w in parsed.warnings if "连在了一起" in w.message]
    assert {i.line for i in parsed.indicators} <= set(guessed.rows)
