"""Command line of the ingest package.

    python -m ingest FILE... [--json [--records]]   parse tables, print a summary per file (and every record)
    python -m ingest synth --departments N --noise LEVEL --seed S --out DIR [--layouts all|packed,rows,…]
    python -m ingest bench [--json] [--departments N] [--noise LEVEL] [--seed S] [--layouts all|…]

Exit code 1 when any file failed (the others are still parsed and reported), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from errors import IngestError
from ingest import parse_files
from ingest.records import ParsedFile, to_dict

COMMANDS = ("synth", "bench")
MAX_WARNINGS_SHOWN = 20


def file_records(result: ParsedFile) -> dict[str, Any]:
    """The records of one file as JSON-ready dicts (the `--records` contract: the fields of ingest/records.py)."""
    return {
        "document": asdict(result.document),
        "projects": [to_dict(p) for p in result.projects],
        "indicators": [to_dict(i) for i in result.indicators],
    }


def file_summary(path: Path, result: ParsedFile | IngestError, records: bool = False) -> dict[str, Any]:
    """One file's summary for the report; failed files carry `error` and zero counts."""
    if isinstance(result, IngestError):
        return {"source": result.source, "path": str(path), "error": str(result), "line": result.line,
                "projects": 0, "indicators": 0, "repaired": 0, "warnings": [], "rows_in": 0, "records_out": 0}
    doc = result.document
    accounting = result.row_accounting()
    return {
        "source": doc.source,
        "path": str(path),
        "format": doc.format,
        "encoding": doc.encoding,
        "traditional": doc.traditional,
        "department": doc.department,
        "year": doc.year,
        "projects": len(result.projects),
        "indicators": len(result.indicators),
        "repaired": result.repaired,
        "repaired_records": sum(r.repaired for r in result.records),
        "warnings": [str(w) for w in result.warnings],
        "mismatches": sum(w.kind == "mismatch" for w in result.warnings),
        "grand_total": doc.grand_total,
        "rows_in": accounting["rows_in"],
        "records_out": accounting["records_out"],
        "row_accounting": accounting,
        "kind": doc.kind,
        "layout": doc.layout,
        "unit_stated": doc.unit_stated,
        "source_unit": doc.source_unit,
        "warning_details": [{"line": w.line, "kind": w.kind, "rows": list(w.rows), "message": w.message} for w in result.warnings],
        "error": None,
        **({"records": file_records(result)} if records else {}),
    }


def summarize(paths: list[str], console: Console | None = None, records: bool = False) -> tuple[list[dict[str, Any]], int]:
    """One summary dict per file, in input order, and the number of files that failed."""
    err = console or Console(stderr=True)
    summaries: list[dict[str, Any]] = []
    progress = Progress(
        TextColumn("[bold]解析"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"), TimeRemainingColumn(),
        console=err, transient=True, disable=len(paths) < 2 or not err.is_terminal,
    )
    with progress:
        task = progress.add_task("", total=len(paths))

        def done(path: Path, result: ParsedFile | IngestError) -> None:
            summaries.append(file_summary(path, result, records))
            progress.update(task, advance=1, description=escape(path.name))

        _, errors = parse_files(paths, on_file=done)
    return summaries, len(errors)


def print_summary(files: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="解析结果", show_lines=False)
    table.add_column("文件", overflow="fold")
    table.add_column("部门", overflow="fold")
    for name in ("年度", "项目", "指标", "修复字段", "警告", "输入行", "输出记录"):
        table.add_column(name, justify="right", no_wrap=True)
    for f in files:
        if f.get("error"):
            table.add_row(escape(f["source"]), "[red]失败[/red]", "", "0", "0", "0", "", "", "")
            continue
        table.add_row(escape(f["source"]), escape(f["department"]), str(f["year"] or ""), str(f["projects"]), str(f["indicators"]),
                      str(f["repaired"]), str(len(f["warnings"])), str(f["rows_in"]), str(f["records_out"]))
    console.print(table)
    for f in files:
        if f.get("error"):
            console.print(f"[red]✗ {escape(f['error'])}[/red]")
            continue
        shown = f["warnings"][:MAX_WARNINGS_SHOWN]
        for w in shown:
            console.print(f"  [yellow]![/yellow] {escape(w)}")
        if len(f["warnings"]) > len(shown):
            console.print(f"  … {f['source']} 还有 {len(f['warnings']) - len(shown)} 条警告(用 --json 查看全部)")
    ok = [f for f in files if not f.get("error")]
    console.print(
        f"共 {len(files)} 个文件,成功 {len(ok)} 个,失败 {len(files) - len(ok)} 个;"
        f"输入 {sum(f['rows_in'] for f in ok)} 行 → 项目 {sum(f['projects'] for f in ok)} 个、"
        f"指标 {sum(f['indicators'] for f in ok)} 条,修复字段 {sum(f['repaired'] for f in ok)} 处,"
        f"警告 {sum(len(f['warnings']) for f in ok)} 条"
    )


def main_files(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="解析绩效目标表(txt/csv/xlsx/docx/html/pdf)")
    parser.add_argument("files", nargs="+", help="表格文件;子命令: synth(生成带噪声的样例表)、bench(解析基准)")
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象 {\"files\": [...]}")
    parser.add_argument("--records", action="store_true", help="与 --json 一起: 每个文件附上全部记录(文档、项目、指标)")
    args = parser.parse_args(argv)
    files, failures = summarize(args.files, records=args.records)
    if args.json:
        print(json.dumps({"files": files}, ensure_ascii=False, indent=2))
    else:
        print_summary(files, Console())
    return 1 if failures else 0


def main_synth(argv: list[str]) -> int:
    from ingest import synth

    parser = argparse.ArgumentParser(prog="python -m ingest synth", description="生成带OCR噪声的绩效目标表及其标准答案(truth.json)")
    parser.add_argument("--departments", type=int, default=10, help="部门(表格)数量,默认 10")
    parser.add_argument("--noise", choices=tuple(synth.NOISE_LEVELS), default=synth.DEFAULT_NOISE, help="噪声级别,默认 moderate")
    parser.add_argument("--seed", type=int, default=0, help="随机种子,默认 0")
    parser.add_argument("--out", type=Path, required=True, help="输出目录")
    parser.add_argument("--layouts", default="packed",
                        help=f"版式,逗号分隔或 all(可选: {','.join(synth.LAYOUTS)}),默认 packed")
    parser.add_argument("--formats", default="", help=_FORMATS_HELP)
    args = parser.parse_args(argv)
    layouts = _layouts(parser, args.layouts)
    paths = synth.generate(args.departments, args.noise, args.seed, args.out, layouts=layouts, formats=_formats(parser, args.formats))
    print(f"已生成 {len(paths)} 张表和 {synth.TRUTH_FILE}(版式 {','.join(layouts)},噪声 {args.noise},种子 {args.seed})于 {args.out}")
    return 0


def main_bench(argv: list[str]) -> int:
    from ingest import bench, synth

    parser = argparse.ArgumentParser(prog="python -m ingest bench", description="生成带噪声的表格,解析回来,与标准答案比较")
    parser.add_argument("--departments", type=int, default=bench.DEFAULT_DEPARTMENTS, help=f"部门数量,默认 {bench.DEFAULT_DEPARTMENTS}")
    parser.add_argument("--noise", choices=tuple(synth.NOISE_LEVELS), default=synth.DEFAULT_NOISE, help="噪声级别,默认 moderate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layouts", default="all", help=f"版式,逗号分隔或 all(可选: {','.join(synth.LAYOUTS)}),默认 all")
    parser.add_argument("--formats", default="", help=_FORMATS_HELP)
    parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    args = parser.parse_args(argv)
    result = bench.run(args.departments, args.noise, args.seed, layouts=_layouts(parser, args.layouts),
                       formats=_formats(parser, args.formats))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"解析基准(噪声 {args.noise},{args.departments} 个部门,种子 {args.seed})")
        table.add_column("指标")
        table.add_column("数值", justify="right")
        table.add_row("字段准确率(总)", f"{result['field_accuracy']:.2%}")
        for name, value in result["fields"].items():
            table.add_row(f"  {name}", f"{value:.2%}")
        table.add_row("修复标记精确率", f"{result['flag_precision']:.2%}")
        table.add_row("修复标记召回率", f"{result['flag_recall']:.2%}")
        table.add_row("金额不平检出率", f"{result['mismatch_detection']:.2%}({result['mismatches_injected']} 处注入)")
        table.add_row("金额不平误报", str(result["mismatch_false_alarms"]))
        table.add_row("多出的记录", str(result["extra_records"]))
        table.add_row("丢失的指标(无警告)", f"{result['lost_indicators']}({result['silent_losses']})")
        table.add_row("归错项目的指标", str(result["misattributions"]))
        for name, layout in result["layouts"].items():
            table.add_row(f"版式 {name}({layout['files']} 个文件)",
                          f"{layout['field_accuracy']:.2%},最低字段 {min(layout['fields'].values()):.2%}")
        table.add_row("解析速度", f"{result['rows_per_s']:.0f} 行/秒,{result['indicators_per_s']:.0f} 条指标/秒")
        table.add_row("规模", f"{result['rows']} 行,{result['projects']} 个项目,{result['indicators']} 条指标")
        table.add_row("失败文件", str(result["failed_files"]))
        Console().print(table)
    return 1 if result["failed_files"] else 0


_FORMATS_HELP = "表格形式,逗号分隔(如 joined、flat、lines、stack);各版式只取它能写成的形式,默认按版式轮换"


def _formats(parser: argparse.ArgumentParser, text: str) -> tuple[str, ...]:
    from ingest.synth_grid import EXTRA_FORMATS, FORMATS

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    known = {f for fs in (*FORMATS.values(), *EXTRA_FORMATS.values()) for f in fs}
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"未知的表格形式: {'、'.join(unknown)};可选: {', '.join(sorted(known))}")
    return names


def _layouts(parser: argparse.ArgumentParser, text: str) -> tuple[str, ...]:
    from ingest import synth

    names = synth.LAYOUTS if text.strip() == "all" else tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in synth.LAYOUTS]
    if unknown or not names:
        parser.error(f"未知的版式: {'、'.join(unknown) or '(空)'};可选: {', '.join(synth.LAYOUTS)} 或 all")
    return names


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS and not Path(argv[0]).is_file():
        return {"synth": main_synth, "bench": main_bench}[argv[0]](argv[1:])
    return main_files(argv)


if __name__ == "__main__":
    raise SystemExit(main())
