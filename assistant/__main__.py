"""python -m assistant ask QUESTION [--history Q]... [--batch FILE] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.service import Answer, Assistant
from errors import JixiaoError

BATCH_KEYS = frozenset({"id", "question", "turns"})


def _print(answer: Answer, as_json: bool, qid: str | None = None) -> None:
    if as_json:
        print(json.dumps(answer.to_json(qid), ensure_ascii=False), flush=True)
        return
    if answer.resolved_question and answer.resolved_question != answer.question:
        print(f"理解为:{answer.resolved_question}")
    print(answer.answer)
    for n, c in enumerate(answer.citations, 1):
        where = f"{c.source}:{c.line}"
        what = f"{c.project} / {getattr(c, 'indicator', '') or '项目行'}"
        print(f"  [{n}] {what}  ({where})")


def _batch(assistant: Assistant, path: Path, as_json: bool) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取批量问题文件 {path}: {exc}", file=sys.stderr)
        return 2
    items: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                raise ValueError("需要 {\"id\": …, \"question\": \"…\", \"turns\": [...]}")
            unknown = sorted(set(item) - BATCH_KEYS)
            if unknown:
                raise ValueError(f"未知的键 {', '.join(unknown)};只允许 {', '.join(sorted(BATCH_KEYS))}")
            turns = item.get("turns") or []
            if not isinstance(turns, list) or not all(isinstance(t, str) for t in turns):
                raise ValueError("turns 需要是问题字符串的列表")
        except ValueError as exc:
            print(f"{path} 第{n}行: 不是有效的问题对象({exc})", file=sys.stderr)
            return 2
        items.append(item)
    for item in items:
        answer = assistant.converse([str(t) for t in item.get("turns") or []], item["question"])
        _print(answer, as_json, str(item.get("id", "")))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="绩效问答")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="提问")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--history", action="append", default=[], help="同一对话中之前的问题(可重复)")
    ask.add_argument("--batch", type=Path, help="JSONL 文件,每行 {id, question, turns}")
    ask.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.question and not args.batch:
        parser.error("需要一个问题或 --batch 文件")
    try:
        assistant = Assistant()
        if args.batch:
            return _batch(assistant, args.batch, args.json)
        _print(assistant.converse(args.history, args.question), args.json)
    except JixiaoError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
