"""Load on POST /api/ask: N concurrent clients asking for S seconds over loopback (a benchmark, not a test).

    .venv/bin/python scripts/load_api.py [--clients 20] [--seconds 60] [--unique 0.2] [--url URL] [--json]

Without --url it starts `python app.py` on a free 127.0.0.1 port (JIXIAO_HOME as set, default ./var;
the index is built from data/ when empty) and stops it afterwards. Each client sends one question
after another (closed loop): the questions of evals/gold.jsonl and evals/holdout.jsonl with their
earlier turns, in a shuffled order. A share (--unique) of the requests gets a number appended, so
its embedding is not in the app's query cache and the model runs, as for a question never asked before.

Latency is measured at the client, from sending the request to having the whole JSON answer (HTTP,
turns replayed, answer composed); an error is any response other than 200 with an answer, or no
response. Requests are split by whether the model ran for them (the answer's `timings_ms.embed`).
The machine's load average before and after is printed: other work on the same cores
shows up in these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
MODEL_MS = 1.0  # a question whose embedding took longer than this ran the model (a cached one takes ~0.01 ms)
QUESTION_SETS = (ROOT / "evals" / "gold.jsonl", ROOT / "evals" / "holdout.jsonl")


def questions() -> list[dict[str, Any]]:
    out = []
    for path in QUESTION_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.append({"question": item["question"], "turns": item.get("turns") or []})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "JIXIAO_HOST": "127.0.0.1", "JIXIAO_PORT": str(port)}
    for name in ("JIXIAO_READER_TOKEN", "JIXIAO_EDITOR_TOKEN", "JIXIAO_READERS", "JIXIAO_EDITORS"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode} before serving")
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("app.py did not answer /api/health within 600 s")


async def client(http: aiohttp.ClientSession, url: str, pool: list[dict[str, Any]], unique: float, until: float,
                 rng: random.Random, results: list[tuple[float, bool, bool]]) -> None:
    while time.monotonic() < until:
        body = dict(rng.choice(pool))
        if rng.random() < unique:
            body["question"] = f"{body['question']} {rng.randrange(10**6)}"
        start = time.perf_counter()
        try:
            async with http.post(url + "/api/ask", json=body) as r:
                data = await r.json() if r.status == 200 else {}
            ok = "answer" in data
            model = ok and data.get("timings_ms", {}).get("embed", 0.0) >= MODEL_MS
        except (TimeoutError, aiohttp.ClientError, ValueError):
            ok, model = False, False
        results.append(((time.perf_counter() - start) * 1000, ok, model))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summarise(latencies: list[float]) -> dict[str, float]:
    return {"n": len(latencies), "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(max(latencies, default=0.0), 1),
            "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0}


async def run(url: str, clients: int, seconds: float, unique: float, seed: int) -> dict[str, Any]:
    pool = questions()
    rng = random.Random(seed)
    results: list[tuple[float, bool, bool]] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with http.post(url + "/api/ask", json=pool[0]) as r:  # first contact outside the measurement
            await r.read()
        until = time.monotonic() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(client(http, url, pool, unique, until, random.Random(rng.random()), results)
                               for _ in range(clients)))
        elapsed = time.perf_counter() - started
    ok = [ms for ms, good, _ in results if good]
    return {
        "clients": clients, "seconds": round(elapsed, 1), "questions_in_set": len(pool), "unique_share": unique,
        "requests": len(results), "errors": sum(not good for _, good, _ in results),
        "per_second": round(len(results) / elapsed, 1), "all": summarise(ok),
        "model_ran": summarise([ms for ms, good, model in results if good and model]),
        "no_model": summarise([ms for ms, good, model in results if good and not model]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="POST /api/ask 负载测试(并发客户端,闭环)")
    parser.add_argument("--url", help="已在运行的服务地址;不给则启动 app.py")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--unique", type=float, default=0.2, help="加随机数、必须现算向量的请求比例")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    proc = None
    url = args.url
    if not url:
        proc, url = start_app()
    try:
        before = os.getloadavg()
        report = asyncio.run(run(url, args.clients, args.seconds, args.unique, args.seed))
        report["loadavg_before"], report["loadavg_after"] = [round(x, 2) for x in before], [round(x, 2) for x in os.getloadavg()]
        report["cores"] = os.cpu_count()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        a = report["all"]
        print(f"{report['clients']} 个客户端 × {report['seconds']} s:{report['requests']} 个请求,{report['errors']} 个错误,"
              f"{report['per_second']} 个/秒;p50 {a['p50_ms']} ms,p95 {a['p95_ms']} ms,p99 {a['p99_ms']} ms,最大 {a['max_ms']} ms")
        for part, label in (("model_ran", "模型现算向量"), ("no_model", "无需模型(或向量已缓存)")):
            s = report[part]
            print(f"  {label}:{s['n']} 个,p50 {s['p50_ms']} ms,p95 {s['p95_ms']} ms")
        print(f"  负载均值(1/5/15 分钟)前 {report['loadavg_before']},后 {report['loadavg_after']},{report['cores']} 核")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
