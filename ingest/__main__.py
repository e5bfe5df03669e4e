"""python -m ingest FILE... [--json]: parse tables and print what was found."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from errors import IngestError
from ingest import parse_file


def summarize(paths: list[str]) -> tuple[list[dict[str, Any]], int]:
    """One summary dict per file; files that fail carry an `error` instead of counts."""
    out: list[dict[str, Any]] = []
    failures = 0
    for path in paths:
        try:
            parsed = parse_file(path)
        except IngestError as exc:
            failures += 1
            out.append({"source": exc.source, "error": str(exc), "projects": 0, "indicators": 0,
                        "repaired": 0, "warnings": []})
            continue
        out.append({
            "source": parsed.document.source,
            "department": parsed.document.department,
            "year": parsed.document.year,
            "rows_in": parsed.rows_in,
            "projects": len(parsed.projects),
            "indicators": len(parsed.indicators),
            "repaired": parsed.repaired,
            "warnings": [str(w) for w in parsed.warnings],
        })
    return out, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="解析项目支出绩效目标表")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    args = parser.parse_args(argv)
    files, failures = summarize(args.files)
    if args.json:
        print(json.dumps({"files": files}, ensure_ascii=False, indent=2))
    else:
        for f in files:
            if "error" in f:
                print(f"✗ {f['error']}", file=sys.stderr)
                continue
            print(f"{f['source']}: {f['department']} {f['year']}年 — 项目 {f['projects']} 个, 指标 {f['indicators']} 条, "
                  f"修复字段 {f['repaired']} 处, 警告 {len(f['warnings'])} 条")
            for w in f["warnings"]:
                print(f"  ! {w}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
