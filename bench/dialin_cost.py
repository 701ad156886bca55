"""What one dial-in costs the server besides the hash: CPU per call and per webhook, in process.

    .venv/bin/python -m bench.dialin_cost --db sqlite            # 300 calls, one at a time
    .venv/bin/python -m bench.dialin_cost --db postgres --profile yappi.txt

The same callers as ``dialin_burst``, placed through Twilio's voice engine (signed webhooks: entry,
participant number, PIN, join callback, wait URL), but driven straight through the ASGI interface of
the real app in this process, one call at a time, with members whose PIN hash is cheap (argon2 at
8 KiB, one pass): what remains is the application's own cost — signature checks, dependency solving,
the thread hop, queries, commits, TwiML, logging. Measured as this process's CPU time (every
thread), against the bare baseline app driven the same way in the same run. No sockets at all, so
the load generator's own cost and the machine's noise stay out of the figures; a PostgreSQL server's
CPU is reported apart.

This is the figure the saturation target depends on: calls/s ≤ cores ÷ (hash + this cost).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from passlib.hash import argon2
from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool

from bench import callers as calls
from bench import harness, seed
from bench.callers import Caller, CallResult
from bench.dialin_burst import configure
from bench.loadclient import Client

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Any]


class AsgiClient:
    """``bench.loadclient.Client``'s ``post`` straight into an ASGI app, without a socket."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.cpu = 0.0  # CPU seconds inside the app (every thread), not in the simulated callers

    async def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Any:
        parts = urlsplit(url)
        body = urlencode(params).encode()
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [
                (b"host", parts.netloc.encode()),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
                *((k.lower().encode(), v.encode()) for k, v in headers.items()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        started = time.process_time()
        await self.app(scope, receive, send)
        self.cpu += time.process_time() - started
        return status, b"".join(chunks).decode()


async def drive(
    app: App, base_url: str, token: str, callers: list[Caller] | None
) -> tuple[list[CallResult], float, float]:
    """Every caller in turn (``None``: as many baseline calls); results, the app's CPU seconds
    (the simulated callers' own signing and parsing excluded), wall seconds."""
    client = AsgiClient(app)
    twilio = calls.Twilio(base_url, token)
    count = len(callers) if callers is not None else BASELINE_CALLS
    results = []
    wall = time.perf_counter()
    for index in range(count):
        if callers is None:
            caller = calls.Caller("+12025550100", "+15005550006", "1234", "1234")
            results.append(await calls.place_baseline_call(cast(Client, client), twilio, caller))
        else:
            results.append(await calls.place_call(cast(Client, client), twilio, callers[index]))
    return results, client.cpu, time.perf_counter() - wall


BASELINE_CALLS = 300


def per_step(results: list[CallResult]) -> dict[str, float]:
    """Median wall milliseconds per step (sequential, so close to that step's CPU)."""
    by_step: dict[str, list[float]] = {}
    for result in results:
        for step, seconds in result.timings:
            by_step.setdefault(step, []).append(seconds * 1000)
    return {step: statistics.median(values) for step, values in by_step.items()}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", type=Path, help="yappi (all threads) stats written here")
    return parser.parse_args()


async def measure(args: argparse.Namespace, url: str, token: str, callers: list[Caller]) -> None:
    from bench.baseline_app import create_app as create_baseline
    from supportline.app import create_app

    base_url = "http://127.0.0.1:8000"
    app, baseline = create_app(), create_baseline()
    async with app.router.lifespan_context(app):  # start-up as under uvicorn
        await _measure(
            args, app=app, baseline=baseline, callers=callers, base_url=base_url, token=token
        )


async def _measure(
    args: argparse.Namespace,
    *,
    app: App,
    baseline: App,
    callers: list[Caller],
    base_url: str,
    token: str,
) -> None:
    warm, measured = callers[:20], callers[20:]
    await drive(app, base_url, token, warm)
    await drive(baseline, base_url, token, None)
    postgres = harness.postgres_cpu() if args.db == "postgres" else None
    profiler = _start_profile() if args.profile else None
    with _counting() as counts:
        results, cpu, wall = await drive(app, base_url, token, measured)
    if profiler is not None:
        _write_profile(args.profile)
    pg_cpu = harness.postgres_cpu() - postgres if postgres is not None else None
    base_results, base_cpu, base_wall = await drive(baseline, base_url, token, None)
    errors = [r.error for r in results if r.error] + [r.error for r in base_results if r.error]
    joined = sum(r.joined for r in results)
    n, bn = len(measured), BASELINE_CALLS
    print(f"\n{args.db}: {n} calls one at a time, {joined} joined, errors {len(errors)}")
    for error in errors[:5]:
        print("  error:", error)
    print(f"  app:      {cpu / n * 1000:6.2f} ms CPU per call ({wall / n * 1000:.2f} ms wall)")
    if pg_cpu is not None:
        print(f"  postgres: {pg_cpu / n * 1000:6.2f} ms CPU per call (server processes)")
    print(
        f"  per call: {counts['statements'] / n:.1f} statements, "
        f"{counts['checkouts'] / n:.1f} connection check-outs"
    )
    base_ms, base_wall_ms = base_cpu / bn * 1000, base_wall / bn * 1000
    print(f"  baseline: {base_ms:6.2f} ms CPU per call ({base_wall_ms:.2f} ms wall)")
    for step, ms in per_step(results).items():
        print(f"    {step:<20} {ms:6.2f} ms median")
    hash_s = statistics.median(_verify_times())
    total = cpu / n + (pg_cpu or 0) / n
    print(f"  one OWASP verification alone: {hash_s * 1000:.2f} ms")
    print(f"  cost besides the hash / one verification: {total / hash_s:.2f}")
    bound = hash_s / (hash_s + total)
    print(f"  => saturation bound (cores ÷ (hash + cost)) ÷ hash-bound: {bound:.2f}")


@contextmanager
def _counting() -> Iterator[Counter[str]]:
    """Statements sent to the database and connections taken from the pools, over the block."""
    counts: Counter[str] = Counter()

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Pool, "checkout", checkout)
    try:
        yield counts
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Pool, "checkout", checkout)


def _verify_times() -> list[float]:
    pin_hash = seed.owasp_hash(seed.PIN)
    times = []
    for _ in range(20):
        started = time.perf_counter()
        argon2.verify(seed.PIN, pin_hash)
        times.append(time.perf_counter() - started)
    return times


def _yappi() -> Any:
    """yappi profiles every thread (cProfile only its own); not a project dependency:
    ``.venv/bin/pip install yappi`` before ``--profile``."""
    return importlib.import_module("yappi")


def _start_profile() -> Any:
    yappi = _yappi()
    yappi.set_clock_type("cpu")
    yappi.start()
    return yappi


def _write_profile(path: Path) -> None:
    yappi = _yappi()
    yappi.stop()
    stats = yappi.get_func_stats()
    with path.open("w") as output:
        stats.sort("ttot").print_all(
            out=output, columns={0: ("name", 90), 1: ("ncall", 9), 3: ("ttot", 8), 4: ("tsub", 8)}
        )
    print(f"  profile written to {path}")


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with seed.fresh_database(args.db, workdir) as url:
            _, token = configure(workdir, url, 8000)
            cheap = str(
                argon2.using(type="ID", memory_cost=8, rounds=1, parallelism=1).hash(seed.PIN)
            )
            seeder = seed.Seeder(url, datetime.now(UTC), cheap)
            groups = max(1, (args.calls + 20 + 9) // 10)
            callers = seeder.add_groups(groups, 10)[: args.calls + 20]
            seeder.close()
            asyncio.run(measure(args, url, token, callers))
            from core.database import forget_engines

            forget_engines()


if __name__ == "__main__":
    main()
