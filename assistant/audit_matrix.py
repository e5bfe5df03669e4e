"""The projects × categories matrix of an audited document: as numbers (for exports) and as a PNG.

It reads what `assistant.audit` computes (`matrix_columns`, `coverage`); the colours say what
the completeness rule says: green present, orange repaired, red a missing required 一级 category.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant import audit
from ingest.records import stable_id
from ingest.taxonomy import BY_CODE

CJK_FONT_NAMES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                  "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")
CJK_FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
MATRIX_COLOURS = {"present": "#9fd8a8", "repaired": "#f7c873", "missing": "#f4f4f4", "required": "#f28b82"}
LEGEND = (("present", "有指标(数字为条数)"), ("repaired", "含OCR修复的指标"), ("required", "缺少必备的一级指标"),
          ("missing", "未设该二级指标"))


def coverage_table(docs: Sequence[audit.DocumentRows]) -> tuple[list[str], list[list[Any]]]:
    """The matrix as numbers: one row per project (of every document), one column per category."""
    columns = audit.matrix_columns(docs[0]) if docs else []
    for d in docs[1:]:
        columns += [c for c in audit.matrix_columns(d) if c not in columns]
    headers = ["文档", "项目", *(c.label if c.code == c.level1 else f"{c.label}指标" for c in columns)]
    rows = [[d.source, row.project.project, *(row.counts.get(c.code, 0) for c in columns)]
            for d in docs for row in audit.coverage(d)]
    return headers, rows


def matrix_alt_text(doc: audit.DocumentRows) -> str:
    """What the picture shows, in words (the image's alt text): which project lacks which required category."""
    required = [c for c in audit.matrix_columns(doc) if c.required and c.code == c.level1]
    gaps = []
    for row in audit.coverage(doc):
        lacking = [BY_CODE[c.code].name for c in required if not row.counts.get(c.code)]
        if lacking:
            gaps.append(f"{row.project.project}缺少{'、'.join(lacking)}")
    head = f"{doc.info.department} {doc.info.year}年 {len(doc.projects)} 个项目 × 指标类别矩阵"
    return head + (":" + ";".join(gaps) + "。" if gaps else ":每个项目都有产出、效益、满意度指标。")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font with Chinese glyphs matplotlib can use, or None (labels then fall back to numbers)."""
    from matplotlib import font_manager

    for f in CJK_FONT_FILES:
        if Path(f).is_file():
            try:
                font_manager.fontManager.addfont(f)
            except (OSError, RuntimeError, ValueError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONT_NAMES if n in names), None)


def draw_matrix(doc: audit.DocumentRows, folder: Path) -> Path | None:
    """The projects × categories matrix as a PNG in `folder`: green present, orange repaired, red a
    missing required 一级 category, grey an unused 二级 category. None when the document has no projects.

    The file name is a hash of what is drawn, so an unchanged document is not drawn again.
    """
    if not doc.projects:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    font = cjk_font()
    columns = audit.matrix_columns(doc)
    rows = audit.coverage(doc)
    drawn = [(doc.info.department, doc.info.year, font), [c.code for c in columns],
             [(r.project.project, sorted(r.counts.items()), sorted(r.repaired.items())) for r in rows]]
    path = folder / f"matrix-{stable_id(doc.source, drawn)}.png"
    if path.is_file():
        return path
    names = [r.project.project for r in rows] if font else [f"P{n}" for n in range(1, len(rows) + 1)]
    labels = [c.label for c in columns] if font else [c.code for c in columns]
    width = 1.6 + 0.15 * max(len(n) for n in names) + 0.6 * len(columns)
    height = 1.9 + 0.4 * len(rows)
    with plt.rc_context({"font.family": [font] if font else ["DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(width, height), dpi=100)
        for y, row in enumerate(rows):
            for x, col in enumerate(columns):
                n = row.counts.get(col.code, 0)
                if n == 0:
                    state = "required" if col.required else "missing"
                    text = "缺" if col.required and font else ("—" if not col.required else "0")
                else:
                    state = "repaired" if row.repaired.get(col.code) else "present"
                    text = str(n)
                ax.add_patch(Rectangle((x, y), 1, 1, facecolor=MATRIX_COLOURS[state], edgecolor="white", linewidth=2))
                colour = "#222" if n else ("#8b0000" if state == "required" else "#666")
                ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=10, color=colour)
        starts = [x for x, c in enumerate(columns) if c.code == c.level1]
        for x in starts[1:]:
            ax.axvline(x, color="#666", linewidth=1.2)
        ax.set_xlim(0, len(columns))
        ax.set_ylim(len(rows), 0)
        ax.set_xticks([x + 0.5 for x in range(len(columns))], labels, rotation=35, ha="left", fontsize=9)
        ax.xaxis.tick_top()
        ax.set_yticks([y + 0.5 for y in range(len(rows))], names, fontsize=10)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        legend = [Patch(facecolor=MATRIX_COLOURS[k], label=v if font else k) for k, v in LEGEND]
        ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=9, frameon=False)
        title = f"{doc.info.department} {doc.info.year}年:项目 × 指标类别" if font else doc.source
        fig.suptitle(title, fontsize=12, y=0.995)
        fig.tight_layout()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.png")  # two sessions drawing the same matrix never serve half a file
        fig.savefig(tmp, dpi=100)
        plt.close(fig)
        tmp.replace(path)
    return path
