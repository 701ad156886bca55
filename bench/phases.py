"""The load phases of the dial-in benchmark and what each cost the machine.

Open-loop bursts that take turns between the servers under test (the app, the bare baseline, the
hash-only app), closed-loop saturation at rising concurrency, the server's CPU and memory and the
machine's over each phase, and how they are printed. ``bench.dialin_burst`` puts them together.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from passlib.hash import argon2

from bench import callers as calls
from bench import harness, loadclient, seed
from bench.callers import Caller, CallResult


def one_verification(pin_hash: str, repeats: int = 30) -> tuple[float, float]:
    """Median and minimum seconds of one argon2 verification of the seeded hash, alone."""
    argon2.verify(seed.PIN, pin_hash)  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        argon2.verify(seed.PIN, pin_hash)
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


@dataclass
class Phase:
    """One measured load phase: the call results and what the server spent on them."""

    results: list[CallResult]
    elapsed: float
    server_cpu: float
    client_cpu: float
    peak_rss: int
    machine_busy: float

    @classmethod
    def combine(cls, parts: list[Phase]) -> Phase:
        """The blocks of one phase as one: results together, time and CPU summed."""
        elapsed = sum(part.elapsed for part in parts)
        return cls(
            [result for part in parts for result in part.results],
            elapsed,
            sum(part.server_cpu for part in parts),
            sum(part.client_cpu for part in parts),
            max(part.peak_rss for part in parts),
            sum(part.machine_busy * part.elapsed for part in parts) / max(elapsed, 1e-9),
        )

    def steps(self) -> dict[str, dict[str, float]]:
        by_step: dict[str, list[float]] = {}
        for result in self.results:
            for step, seconds in result.timings:
                by_step.setdefault(step, []).append(seconds)
        rows = {step: harness.summarize(values) for step, values in by_step.items()}
        non_pin = [s for r in self.results for step, s in r.timings if step != calls.PIN_STEP]
        rows["all non-PIN"] = harness.summarize(non_pin)
        return rows

    def errors(self) -> Counter[str]:
        return Counter(
            r.error.split(":")[0] + ": " + r.error[-60:] for r in self.results if r.error
        )

    def figures(self) -> dict[str, Any]:
        requests = sum(len(result.timings) for result in self.results)
        joined = sum(result.joined for result in self.results)
        return {
            "calls": len(self.results),
            "joined": joined,
            "errors": sum(result.error is not None for result in self.results),
            "error_kinds": dict(self.errors()),
            "elapsed_s": self.elapsed,
            "calls_per_s": joined / self.elapsed,
            "requests_per_s": requests / self.elapsed,
            "server_cpu_s": self.server_cpu,
            "client_cpu_s": self.client_cpu,
            "server_peak_rss_mb": self.peak_rss / 2**20,
            "machine_busy": self.machine_busy,
            "steps": self.steps(),
        }


@contextmanager
def measured(server: harness.Server) -> Iterator[dict[str, float]]:
    """Server CPU seconds, peak RSS (sampled every 0.25 s), the CPU seconds of the machine's
    PostgreSQL server processes (about nothing on SQLite runs) and how busy the machine was,
    over the block."""
    figures: dict[str, float] = {}
    stop = threading.Event()
    server.sample()
    server.peak_rss = 0

    def sampler() -> None:
        while not stop.wait(0.25):
            server.sample()

    thread = threading.Thread(target=sampler, daemon=True)
    cpu, own, started = server.cpu(), harness.own_cpu_seconds(), time.perf_counter()
    database = harness.postgres_cpu()
    busy, total = harness.machine_cpu()
    thread.start()
    try:
        yield figures
    finally:
        stop.set()
        thread.join()
        figures["elapsed"] = time.perf_counter() - started
        figures["server_cpu"] = server.cpu() - cpu
        figures["client_cpu"] = harness.own_cpu_seconds() - own
        figures["database_cpu"] = harness.postgres_cpu() - database
        figures["peak_rss"] = server.peak_rss
        busy_after, total_after = harness.machine_cpu()
        figures["machine_busy"] = (busy_after - busy) / max(total_after - total, 1e-9)


@dataclass(frozen=True)
class Target:
    """A server under test: the real app, the bare baseline or the hash-only app."""

    name: str
    title: str
    server: harness.Server
    place: calls.Place
    leave: bool  # its saturation callers hang up after joining (a reference app keeps no state)
    twilio: calls.Twilio  # the engine its calls are placed through, one for the whole run


def open_loop(target: Target, callers: list[Caller], offsets: list[float]) -> Phase:
    with measured(target.server) as figures:
        results = loadclient.run(
            calls.run_open_loop(target.twilio, callers, offsets=offsets, place=target.place)
        )
    return Phase(
        results,
        figures["elapsed"],
        figures["server_cpu"],
        figures["client_cpu"],
        int(figures["peak_rss"]),
        figures["machine_busy"],
    )


def interleaved_bursts(
    targets: list[Target], callers: list[Caller], args: argparse.Namespace
) -> dict[str, Phase]:
    """The same arrivals against every target, in ``args.blocks`` blocks of time taken in turn
    (app, baseline, hash-only; then baseline, hash-only, app; …): the host's speed drifts within
    minutes, and a reference measured minutes after the app would carry another moment's speed
    into the ratio. Block k is the arrivals of the k-th part of ``args.seconds``."""
    offsets = calls.arrivals(args.callers, args.seconds, args.arrivals)
    span = args.seconds / args.blocks
    parts: dict[str, list[Phase]] = {target.name: [] for target in targets}
    for block in range(args.blocks):
        indices = [i for i, at in enumerate(offsets) if block * span <= at < (block + 1) * span]
        if block == args.blocks - 1:  # the last arrival sits exactly at the end
            indices = [i for i, at in enumerate(offsets) if at >= block * span]
        if not indices:
            continue
        turn = block % len(targets)
        for target in targets[turn:] + targets[:turn]:
            part = open_loop(
                target,
                [callers[i] for i in indices],
                [offsets[i] - block * span for i in indices],
            )
            parts[target.name].append(part)
    return {name: Phase.combine(phases) for name, phases in parts.items()}


def empty_rooms(target: Target) -> None:
    """Everybody still in a room hangs up, so the credentials work again: the engine reports
    each leave and each room's end to the server as Twilio would (untimed)."""
    loadclient.run(_end_conferences(target.twilio))


async def _end_conferences(twilio: calls.Twilio) -> None:
    async with loadclient.Client(max_connections=10) as client:
        await calls.end_conferences(client, twilio)


def saturation_level(
    target: Target,
    callers: list[Caller],
    *,
    concurrency: int,
    seconds: float,
    cores: int,
) -> dict[str, Any]:
    """``concurrency`` callers dialling back to back for ``seconds`` (closed loop)."""
    with measured(target.server) as figures:
        results, elapsed = loadclient.run(
            calls.run_closed_loop(
                target.twilio,
                callers,
                concurrency=concurrency,
                seconds=seconds,
                leave=target.leave,
                place=target.place,
            )
        )
    empty_rooms(target)
    joined = [r for r in results if r.joined]
    durations = [r.finished - r.started for r in joined]
    busy = figures["machine_busy"] * figures["elapsed"] * cores
    return {
        "concurrency": concurrency,
        "calls": len(results),
        "errors": len(results) - len(joined),
        "calls_per_s": len(joined) / elapsed,
        "call_p50_ms": harness.percentile(durations, 0.5) * 1000,
        "call_p99_ms": harness.percentile(durations, 0.99) * 1000,
        "server_cpu_util": figures["server_cpu"] / figures["elapsed"] / cores,
        "client_cpu_util": figures["client_cpu"] / figures["elapsed"] / cores,
        "machine_busy": figures["machine_busy"],
        # What one call cost each part of the machine: where the app's calls go beside the hash.
        "cpu_ms_per_call": {
            "server": figures["server_cpu"] * 1000 / max(len(joined), 1),
            "database": figures["database_cpu"] * 1000 / max(len(joined), 1),
            "load_generator": figures["client_cpu"] * 1000 / max(len(joined), 1),
            "machine": busy * 1000 / max(len(joined), 1),
        },
    }


def saturation(
    targets: list[Target],
    callers: list[Caller],
    args: argparse.Namespace,
    *,
    cores: int,
    app_cores: int,
    pin_hash: str,
) -> dict[str, list[dict[str, Any]]]:
    """Closed loop at rising concurrency until the call rate stops rising, every target at each
    level in turn (order rotating), with one verification timed alone just before and just after
    each level: each level's hash-bound limit is ``app_cores`` (the CPUs the servers run on) ÷
    the mean of the two; ``cores`` (the machine's) is what the CPU shares are of."""
    levels = [4 * args.workers, 8 * args.workers, 16 * args.workers, 32 * args.workers]
    seconds = args.saturation_seconds / len(levels)
    rows: dict[str, list[dict[str, Any]]] = {target.name: [] for target in targets}
    rising = list(targets)
    for level, concurrency in enumerate(levels):
        before = one_verification(pin_hash)[0]
        turn = level % len(rising)
        done = []
        for target in rising[turn:] + rising[:turn]:
            row = saturation_level(
                target, callers, concurrency=concurrency, seconds=seconds, cores=cores
            )
            rows[target.name].append(row)
            previous = rows[target.name][-2:-1]
            if previous and row["calls_per_s"] < previous[0]["calls_per_s"] * 1.05:
                done.append(target)
        verify = (before + one_verification(pin_hash)[0]) / 2
        for target in rising:
            row = rows[target.name][-1]
            row["verification_ms"] = verify * 1000
            row["over_hash_bound"] = row["calls_per_s"] * verify / app_cores
            print_saturation_row(target.title, row)
        rising = [target for target in rising if target not in done]
        if not rising:
            break
    return rows


def print_saturation_row(title: str, row: dict[str, Any]) -> None:
    print(
        f"  {title:<9} concurrency {row['concurrency']:>4}: {row['calls_per_s']:7.1f} calls/s "
        f"({row['over_hash_bound']:.2f} of the hash-bound limit at a "
        f"{row['verification_ms']:.1f} ms verification), "
        f"{row['errors']} errors, call p50 {row['call_p50_ms']:.0f} ms, "
        f"p99 {row['call_p99_ms']:.0f} ms, server CPU {row['server_cpu_util']:.0%}, "
        f"load generator {row['client_cpu_util']:.0%}, whole machine {row['machine_busy']:.0%}"
    )
    cost = row["cpu_ms_per_call"]
    print(
        f"  {'':<9} CPU per call: server {cost['server']:.1f} ms, database server "
        f"{cost['database']:.1f} ms, load generator {cost['load_generator']:.1f} ms, "
        f"whole machine {cost['machine']:.1f} ms"
    )


def print_phase(title: str, phase: dict[str, Any]) -> None:
    harness.print_table(title, phase["steps"])
    print(
        f"  calls {phase['calls']}, joined {phase['joined']}, errors {phase['errors']} "
        f"{phase['error_kinds'] or ''}\n"
        f"  throughput {phase['calls_per_s']:.1f} calls/s, {phase['requests_per_s']:.1f} "
        f"requests/s over {phase['elapsed_s']:.1f} s; server CPU {phase['server_cpu_s']:.1f} s, "
        f"peak RSS {phase['server_peak_rss_mb']:.0f} MB; load generator CPU "
        f"{phase['client_cpu_s']:.1f} s; whole machine busy {phase['machine_busy']:.0%}"
    )
