"""👍/👎 on answers: stored under the data directory, exported as candidate gold questions.

The app appends one JSON line per vote to `$JIXIAO_HOME/feedback/answers.jsonl`.
`python -m evals feedback --out FILE` writes the latest vote per question (and its earlier turns)
in the gold JSONL format of DESIGN.md section 5:
- 👍: the expectation is what the approved answer did (its cited rows, found/refused);
- 👎: no expectation is known, so `expect` is empty and the line is tagged `needs_expectation`,
  with the rejected answer under `review` for whoever writes the expectation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from settings import Settings

VOTES = ("up", "down")
_LOCK = threading.Lock()


def feedback_path(settings: Settings) -> Path:
    """The JSONL file votes are appended to."""
    return settings.home / "feedback" / "answers.jsonl"


def record(settings: Settings, vote: str, answer: dict[str, Any], earlier: Sequence[str]) -> dict[str, Any]:
    """Store one vote on an answer (`Answer.to_json()`), asked after the questions in `earlier`."""
    if vote not in VOTES:
        raise ValueError(f"vote {vote!r}: expected one of {VOTES}")
    entry = {
        "at": datetime.now().isoformat(timespec="seconds"),
        "vote": vote,
        "question": str(answer.get("question", "")),
        "turns": [str(t) for t in earlier],
        "resolved_question": str(answer.get("resolved_question", "")),
        "answer": str(answer.get("answer", "")),
        "found": bool(answer.get("found")),
        "refused": bool(answer.get("refused")),
        "cite": [[c.get("project"), c.get("indicator")] for c in answer.get("citations") or []],
    }
    path = feedback_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(line)
    return entry


def load(path: Path) -> list[dict[str, Any]]:
    """Every stored vote, oldest first; a line that is not a JSON object (a torn write) is skipped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and item.get("vote") in VOTES and item.get("question"):
            out.append(item)
    return out


def candidates(entries: Iterable[dict[str, Any]], votes: Sequence[str] = VOTES) -> list[dict[str, Any]]:
    """Gold lines from votes: the latest vote per (question, earlier turns) decides, first-asked order."""
    latest: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for e in entries:
        key = (e["question"], tuple(e.get("turns") or []))
        latest.pop(key, None)
        latest[key] = e
    ordered = sorted(latest.values(), key=lambda e: e.get("at", ""))
    out = []
    for e in ordered:
        if e["vote"] not in votes:
            continue
        digest = hashlib.sha1(json.dumps([e["question"], e.get("turns") or []], ensure_ascii=False).encode()).hexdigest()
        item: dict[str, Any] = {"id": f"fb-{digest[:10]}", "question": e["question"], "turns": list(e.get("turns") or [])}
        if e["vote"] == "up":
            item["expect"] = {"cite": e.get("cite") or [], "answer_contains": [],
                              "absent": not e.get("found") and not e.get("refused"), "refuse": bool(e.get("refused"))}
            item["tags"] = ["feedback", "thumbs_up"]
        else:
            item["expect"] = {"cite": [], "answer_contains": [], "absent": False, "refuse": False}
            item["tags"] = ["feedback", "thumbs_down", "needs_expectation"]
            item["review"] = {"answer": e.get("answer", ""), "cite": e.get("cite") or []}
        out.append(item)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="写出的候选金标 JSONL 文件")
    parser.add_argument("--votes", choices=["all", *VOTES], default="all", help="只导出 👍(up)或 👎(down)")


def main_feedback(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Write the candidate gold questions; a summary line on stdout."""
    settings = settings or Settings()
    entries = load(feedback_path(settings))
    items = candidates(entries, VOTES if args.votes == "all" else (args.votes,))
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    up = sum("thumbs_up" in i["tags"] for i in items)
    print(f"写出 {len(items)} 条候选金标问题到 {out}(👍 {up} 条,👎 {len(items) - up} 条待补充期望)"
          if entries else f"还没有任何反馈({feedback_path(settings)} 不存在或为空);已写出空文件 {out}")
    return 0
