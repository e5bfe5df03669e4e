"""The app measured as users use it: `app.py` in its own process, questions over HTTP.

`measure_app` starts the real entry point (`python app.py`) on a free loopback port with a
given data directory, waits for its first answer, then asks every question once through
`POST /api/ask` from this process (a plain HTTP client, one request at a time) and samples
the app process's resident memory as it goes. What it reports:

- `first_answer_s`: from `Popen` to the first answer received (import, index open, catalog,
  model and the first question's own work: what a client waiting after a restart feels);
  `pages_ready_s`: until / serves the UI (built on a thread after the API is up);
- `ask_ms`: p50/p95/p99 of the wall time of each request seen by the client (server work,
  HTTP and JSON on loopback), and the same split by whether the answer embedded its question;
- `rss_mb`: the app's RSS once its pages are built, and after every 100 questions
  (a leak check: the slope over the second half of the run).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 300.0
SAMPLE_EVERY = 100


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def post_json(url: str, payload: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank) and n."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    ordered = sorted(values)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))], 2)

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "n": len(ordered)}


def slope_mb_per_100(samples: list[tuple[int, float]]) -> float:
    """Least-squares RSS growth per 100 questions over the second half of the samples."""
    half = samples[len(samples) // 2 :]
    if len(half) < 2:
        return 0.0
    xs = [n for n, _ in half]
    ys = [mb for _, mb in half]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return round(100 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var, 2) if var else 0.0


def measure_app(home: Path, questions: list[dict[str, Any]], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Start `app.py` on `home`, ask `questions` over HTTP, stop it; the figures described above."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    child_env = {**os.environ, **(env or {}), "JIXIAO_HOME": str(home), "JIXIAO_PORT": str(port),
                 "JIXIAO_HOST": "127.0.0.1", "PYTHONPATH": str(ROOT)}
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ app.py on {base} (home {home})\n")
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=child_env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            first = _first_answer(base, questions[0], proc, started)
            first_answer_s = time.perf_counter() - started
            ui_s = _pages_ready(base, proc, started)  # the pages are built meanwhile: measure after that
            rss_ready = rss_mb(proc.pid)
            samples: list[tuple[int, float]] = [(0, rss_ready)]
            asks: list[dict[str, Any]] = []
            errors: list[str] = []
            for n, item in enumerate(questions, 1):
                t = time.perf_counter()
                try:
                    got = post_json(f"{base}/api/ask", {"question": item["question"], "turns": item.get("turns", [])})
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    errors.append(f"{item.get('id', n)}: {exc}")
                    continue
                ms = (time.perf_counter() - t) * 1000
                timings = got.get("timings_ms", {})
                asks.append({"id": item.get("id", str(n)), "kind": item.get("kind", ""), "ms": ms,
                             "server_ms": got.get("latency_ms", 0.0),
                             "embedded": timings.get("model", timings.get("embed", 0.0)) > 0})
                if n % SAMPLE_EVERY == 0:
                    samples.append((n, rss_mb(proc.pid)))
            if samples[-1][0] != len(questions):
                samples.append((len(questions), rss_mb(proc.pid)))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    latencies = [a["ms"] for a in asks]
    by_path = {
        "model_free": percentiles([a["ms"] for a in asks if not a["embedded"]]),
        "embedding": percentiles([a["ms"] for a in asks if a["embedded"]]),
    }
    return {
        "first_answer_s": round(first_answer_s, 2),
        "pages_ready_s": round(ui_s, 2),
        "first_answer_found": bool(first.get("found")),
        "ask_ms": percentiles(latencies),
        "ask_ms_by_path": by_path,
        "server_ms": percentiles([a["server_ms"] for a in asks]),
        "embed_share": round(sum(a["embedded"] for a in asks) / max(len(asks), 1), 3),
        "rss_mb": {"ready": round(rss_ready, 1), "after": round(samples[-1][1], 1), "questions": len(asks),
                   "growth_mb_per_100": slope_mb_per_100(samples), "samples": [[n, round(mb, 1)] for n, mb in samples]},
        "errors": errors[:10],
        "error_count": len(errors),
    }


def _pages_ready(base: str, proc: subprocess.Popen[bytes], started: float) -> float:
    """Seconds from process start until / serves the pages (503 while they are being built)."""
    while time.perf_counter() - started < START_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode} before serving its pages")
        try:
            with urllib.request.urlopen(f"{base}/", timeout=30) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"app.py did not serve its pages within {START_TIMEOUT_S:.0f} s")


def _first_answer(base: str, item: dict[str, Any], proc: subprocess.Popen[bytes], started: float) -> dict[str, Any]:
    """Ask the first question as soon as the app accepts it (polling every 50 ms)."""
    while time.perf_counter() - started < START_TIMEOUT_S:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode} before answering")
        try:
            return post_json(f"{base}/api/ask", {"question": item["question"], "turns": item.get("turns", [])}, timeout=120)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.05)
    raise RuntimeError(f"app.py did not answer within {START_TIMEOUT_S:.0f} s")
