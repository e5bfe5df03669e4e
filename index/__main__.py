"""python -m index build [PATH...] | remove SOURCE | list"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from index import open_index
from settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description="建立和管理检索索引")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="把表格文件加入索引(未变化的文件跳过)")
    build.add_argument("paths", nargs="*", help="文件或文件夹;默认 data/")
    build.add_argument("--if-missing", action="store_true", help="索引已有内容时什么也不做")
    build.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="从索引中删除一个文档")
    remove.add_argument("source")
    sub.add_parser("list", help="列出已索引的文档")
    args = parser.parse_args(argv)

    settings = Settings()
    index = open_index(settings)
    if args.command == "build":
        if args.if_missing and not index.is_empty():
            print(f"索引已存在({index.rows.count()} 行),跳过构建。")
            return 0
        reports = index.build(args.paths or [settings.data_dir])
        if args.json:
            print(json.dumps({"files": [asdict(r) for r in reports], "rows": index.rows.count()}, ensure_ascii=False, indent=2))
        else:
            for r in reports:
                if r.status == "error":
                    print(f"✗ {r.error}", file=sys.stderr)
                    continue
                print(f"{r.source}: {r.status} — 项目 {r.projects}, 指标 {r.indicators}, 新增 {r.added} 行, "
                      f"删除 {r.removed} 行, 新嵌入 {r.embedded} 行, 警告 {len(r.warnings)} 条")
            print(f"索引共 {index.rows.count()} 行 ({settings.home})")
        return 1 if any(r.status == "error" for r in reports) else 0
    if args.command == "remove":
        n = index.remove(args.source)
        print(f"已删除 {args.source}: {n} 行")
        return 0 if n else 1
    for d in index.documents():
        print(f"{d.source}\t{d.department}\t{d.year}\t项目 {d.projects}\t指标 {d.indicators}\t{d.added_at}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
