"""Property-based tests: on any input the parser fails only with IngestError, and invents no names."""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errors import IngestError
from ingest import parse_file, parse_text, synth, synth_grid
from ingest.normalize import MASK, clean, simplify_chars
from ingest.reader import detect
from ingest.reconcile import reconcile

SEED = Path(__file__).resolve().parents[1] / "data" / "2024_baiyun_gongshanglian_performance_targets.txt"
SEED_LINES = SEED.read_text(encoding="utf-8").splitlines()

# Pieces of real tables, recombined: far likelier than random text to reach deep parser paths.
FRAGMENTS = [
    "\t", "\t\t", "、", "1、", "2、", "4、", ":", "：", ";", "；", ",", "。", " ", "<u> </u>", "<del>", "≪", "≥", "≧",
    "1-产出指标", "11-数量指标", "2-效益指标", "22-社会效益", "3-满意度指标", "12-被监持标", "2 交益指标", "1-数量指标",
    "实施周期指标值", "年度指标值", "指标值", "费用标准", "100%", "≥90%", "41. 73", "4.00", "合计", "部门名称:",
    "项目名称", "绩效目标", "绩效指标", "总计", "财政拨款", "广州市白云区工商业联合会", "办公场地项目经费", "\n",
    "加强社会责任意识", "满意度", "產出指標", "實施週期指標值", "１００％", "ｓ", "PC Pro", "\u200b", "\r\n", "2024",
]
table_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(SEED_LINES), st.text(max_size=8)), max_size=40
).map("".join)
# Modest by default so the ingest tests stay fast; raise it to hunt for bugs.
EXAMPLES = int(os.environ.get("INGEST_HYPOTHESIS_EXAMPLES", "120"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_ingest_error(text: str):  # type: ignore[no-untyped-def]
    try:
        parsed = parse_text(text, "h.txt")
    except IngestError:
        return None
    parsed.warnings.extend(reconcile(parsed))
    return parsed


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_ingest_error(text: str) -> None:
    _parse_or_ingest_error(text)


@FAST
@given(table_text)
def test_table_like_text_raises_only_ingest_error_and_invents_no_names(text: str) -> None:
    parsed = _parse_or_ingest_error(text)
    if parsed is None:
        return
    normal = clean(text)
    simplified = clean(simplify_chars(text)) if parsed.document.traditional else normal
    for ind in parsed.indicators:
        assert ind.indicator, ind
        assert ind.indicator in normal or ind.indicator in simplified, (ind.indicator, text)
    for project in parsed.projects:
        assert project.project in normal or project.project in simplified
    # Row accounting: every counted row became a record or a total, or was dropped with a warning.
    dropped = {line for line, fate in parsed.rows.items() if fate == "dropped"}
    warned = {w.line for w in parsed.warnings if w.kind == "row_dropped"}
    assert dropped <= warned
    assert parsed.rows_in == len(parsed.rows)


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_or_raise_ingest_error(data: bytes) -> None:
    try:
        text, _ = detect(data, "b.txt")
    except IngestError as exc:
        assert "b.txt" in str(exc)
        return
    _parse_or_ingest_error(text)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(SEED_LINES[6:]), min_size=1, max_size=6), st.sampled_from([" ", "<u> </u>", "：", MASK]))
def test_seed_rows_with_extra_damage_keep_their_projects(rows: list[str], junk: str) -> None:
    header = "\n".join(SEED_LINES[:6])
    damaged = [row.replace("、", "、" + junk) for row in rows]
    parsed = _parse_or_ingest_error(header + "\n" + "\n".join(damaged))
    assert parsed is not None
    assert {clean(r.split("\t")[0]) for r in rows} == {p.project for p in parsed.projects}
    assert len(parsed.indicators) >= len(set(rows)) * 3


# --- generated tables of every layout, with damaged amounts and lost project names -------------

GRID_FORMS = [(layout, turn) for layout in synth_grid.GRID_LAYOUTS for turn in range(len(synth_grid.FORMATS[layout]))]


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.sampled_from(GRID_FORMS), st.floats(0.0, 6.0), st.sampled_from(["low", "moderate", "high"]))
def test_generated_tables_account_for_every_row_and_misattribute_nothing(
    seed: int, form: tuple[str, int], damage: float, level: str
) -> None:
    """Any mix of layout, form and damage: every row accounted for, no indicator under another
    project, every indicator either read under its own project or named by a warning."""
    layout, turn = form
    # `mismatch` drives the damage in grid tables: unreadable amounts (×0.1) and lost project names (×0.05).
    profile = replace(synth.NOISE_LEVELS[level], mismatch=damage)
    with tempfile.TemporaryDirectory() as tmp:
        path, truth = synth_grid.make(layout, seed % 50, profile, random.Random(seed), Path(tmp), "t", turn)
        try:
            parsed = parse_file(path)
        except IngestError as exc:  # only when no project row survived the damage: said so, not silently
            assert all("lost" in tp.noise for tp in truth.projects) and "项目名称缺失" in str(exc), exc
            return
    assert parsed.rows_in == len(parsed.rows)
    acc = parsed.row_accounting()
    assert acc["rows_in"] == sum(acc[k] for k in ("record_rows", "total_rows", "header_rows", "blank_rows", "dropped_rows",
                                                  "quarantined_rows"))
    named = {n for w in parsed.warnings for n in (w.line, *w.rows)}
    assert {line for line, fate in parsed.rows.items() if fate in ("dropped", "quarantined")} <= named
    owner = {ti.line: tp.project for tp in truth.projects for ti in tp.indicators}
    lost = {ti.line for tp in truth.projects if "lost" in tp.noise for ti in tp.indicators}
    for ind in parsed.indicators:
        assert ind.line not in lost, ind
        assert owner.get(ind.line, ind.project) == ind.project, (ind.line, ind.project, owner.get(ind.line))
    got = {(i.project, i.line) for i in parsed.indicators}
    for tp in truth.projects:
        for ti in tp.indicators:
            assert (tp.project, ti.line) in got or ti.line in named, (tp.project, ti.line, ti.indicator)


@FAST
@given(table_text, st.sampled_from([".txt", ".csv", ".html"]))
def test_any_file_raises_only_ingest_error(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"h{suffix}"
        path.write_text(text.replace("\t", "|" if suffix == ".html" else "\t"), encoding="utf-8")
        try:
            parsed = parse_file(path)
        except IngestError:
            return
    assert parsed.rows_in == len(parsed.rows)
