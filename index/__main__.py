"""python -m index build [PATH...] | upload FILE... | remove SOURCE | list | check | repair"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from errors import JixiaoError
from index import open_index
from index.health import PROBLEM_KINDS, Health
from index.store import FileReport, Index
from settings import Settings

STATUS_WORDS = {"added": "已导入", "updated": "已更新", "unchanged": "未变化", "duplicate": "已存在", "error": "失败"}


def _print_reports(reports: list[FileReport], rows: int, home: Path) -> None:
    for r in reports:
        if r.status == "error":
            print(f"✗ {r.error}", file=sys.stderr)
            continue
        print(f"{r.source}: {STATUS_WORDS.get(r.status, r.status)} — 项目 {r.projects}, 指标 {r.indicators}, "
              f"新增 {r.added} 行, 删除 {r.removed} 行, 新嵌入 {r.embedded} 行, 警告 {len(r.parse_warnings)} 条")
        if r.note:
            print(f"  {r.note}")
    print(f"索引共 {rows} 行 ({home})")


def _print_health(health: Health, as_json: bool) -> None:
    if as_json:
        print(json.dumps(health.to_json(), ensure_ascii=False, indent=2))
        return
    for line in health.repaired:
        print(f"已修复: {line}")
    print(f"{'正常' if health.healthy else '有问题'}: 文档 {health.documents} 份, 索引 {health.rows} 行")
    for p in health.problems:
        print(f"✗ [{PROBLEM_KINDS.get(p.kind, p.kind)}] {p.message}")
    for p in health.notices:
        print(f"! [{PROBLEM_KINDS.get(p.kind, p.kind)}] {p.message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description="建立和管理检索索引")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="把表格文件加入索引(未变化的文件跳过)")
    build.add_argument("paths", nargs="*", help="文件或文件夹;默认 data/")
    build.add_argument("--if-missing", action="store_true", help="索引已有内容时什么也不做")
    build.add_argument("--replace", action="store_true", help="同一部门同一年度的新表替换索引中的旧版本(默认两份都保留)")
    build.add_argument("--json", action="store_true")
    upload = sub.add_parser("upload", help="像网页上传一样导入文件:文档库保存一份副本,以便日后显示原文")
    upload.add_argument("files", nargs="+")
    upload.add_argument("--replace", action="store_true", help="同一部门同一年度的新表替换旧版本")
    upload.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="从索引中删除一个文档")
    remove.add_argument("source")
    sub.add_parser("list", help="列出已索引的文档")
    check = sub.add_parser("check", help="检查索引的一致性(只读)")
    check.add_argument("--json", action="store_true")
    repair = sub.add_parser("repair", help="修复中断的操作留下的不一致")
    repair.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    settings = Settings()
    index = open_index(settings)
    try:
        return _run(args, index, settings)
    except JixiaoError as exc:
        print(str(exc), file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, index: Index, settings: Settings) -> int:
    if args.command == "check":
        health = index.check()
        _print_health(health, args.json)
        return 0 if health.healthy else 1
    if args.command == "repair":
        health = index.repair()
        _print_health(health, args.json)
        return 0 if health.healthy else 1
    if args.command in ("build", "upload"):
        if args.command == "build" and args.if_missing and not index.is_empty():
            print(f"索引已存在({index.rows.count()} 行),跳过构建。")
            return 0
        if args.command == "build":
            reports = index.build(args.paths or [settings.data_dir], replace=args.replace)
        else:
            from index.library import Library

            result = Library(index).upload_files([Path(f) for f in args.files], replace=args.replace)
            reports = result.reports
            for name, reason in result.rejected:
                print(f"✗ {name}: {reason}", file=sys.stderr)
        if args.json:
            print(json.dumps({"files": [asdict(r) for r in reports], "rows": index.rows.count()},
                             ensure_ascii=False, indent=2))
        else:
            _print_reports(reports, index.rows.count(), settings.home)
        failed = any(r.status == "error" for r in reports) or (args.command == "upload" and bool(result.rejected))
        return 1 if failed else 0
    if args.command == "remove":
        if index.document(args.source) is None and not index.rows.get(where={"source": args.source}, include=[])["ids"]:
            print(f"“{args.source}”不在索引中(python -m index list 列出已索引的文档)", file=sys.stderr)
            return 1
        n = index.remove(args.source)
        print(f"已删除 {args.source}: {n} 行")
        return 0
    for d in index.documents():
        print(f"{d.source}\t{d.department}\t{d.year}\t项目 {d.projects}\t指标 {d.indicators}\t{d.added_at}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
