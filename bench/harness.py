"""Shared pieces of the benchmarks: a server in a subprocess, its CPU and memory, latency figures.

Benchmarks print figures and ratios against a baseline measured in the same run; they never assert
on wall-clock time and are not part of the test suite. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_MACHINE_CPUS = frozenset(os.sched_getaffinity(0))  # before a benchmark pins itself anywhere


def use_environment(env: Mapping[str, str]) -> None:
    """Set the server's settings in this process's environment, read afresh: preparing the
    database (engines, migrations) has already read and cached the settings before them."""
    from core.settings import use_settings

    os.environ.update(env)
    use_settings(None)


def machine_cpus() -> frozenset[int]:
    """The CPUs this process was let run on at its start (before any pinning)."""
    return _MACHINE_CPUS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, every process of every user."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS, sum(fields[:8]) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU of this (load generating) process: it shares the machine with the server."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(_children(current))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (not our children)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (not our children)."""
    return cpu_seconds(postgres_pids())


@contextmanager
def postgres_pinned(cpus: frozenset[int]) -> Iterator[None]:
    """PostgreSQL's server processes on ``cpus`` only, as if it ran on a host of its own; the
    backends it starts meanwhile inherit that from the postmaster. Afterwards each process gets
    the CPUs it had before back (one started meanwhile, the postmaster's). Needs the right to
    set their affinity (root, or their owner)."""
    before = {pid: os.sched_getaffinity(pid) for pid in postgres_pids()}
    default = frozenset().union(*before.values()) or _MACHINE_CPUS
    try:
        for pid in before:
            try:
                os.sched_setaffinity(pid, cpus)
            except ProcessLookupError:  # a backend that ended meanwhile
                continue
            except PermissionError:
                raise SystemExit(
                    "cannot move PostgreSQL's server processes to other CPUs: run the benchmark "
                    "as root or as the user PostgreSQL runs as, or without --app-cpus"
                ) from None
        yield
    finally:
        for pid in postgres_pids():
            try:
                os.sched_setaffinity(pid, before.get(pid, default))
            except (ProcessLookupError, PermissionError):  # ended; never ours to move
                continue


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
        except OSError:
            continue
    return total


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    peak_rss: int = 0
    pids: list[int] = field(default_factory=list)

    def sample(self) -> None:
        self.pids = process_tree(self.process.pid)
        self.peak_rss = max(self.peak_rss, rss_bytes(self.pids))

    def cpu(self) -> float:
        return cpu_seconds(process_tree(self.process.pid))


@contextmanager
def run_server(
    app: str,
    *,
    env: Mapping[str, str],
    workers: int,
    port: int,
    log: Path,
    profile: Path | None = None,
    cpus: frozenset[int] | None = None,
) -> Iterator[Server]:
    """Start ``uvicorn APP --factory`` on 127.0.0.1:PORT and wait until it answers.

    With ``profile``, py-spy samples every worker (attached from outside, so its own CPU is not
    counted as the server's) and writes collapsed stacks there when the server stops. With
    ``cpus``, the server and its workers run on those CPUs only (``taskset``); otherwise on the
    CPUs of this process.
    """
    pinned = ["taskset", "--cpu-list", ",".join(map(str, sorted(cpus)))] if cpus else []
    command = [
        *pinned,
        *(sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1"),
        *("--port", str(port), "--workers", str(workers), "--log-level", "warning"),
        *("--no-access-log", "--backlog", "4096", "--timeout-keep-alive", "300"),
    ]
    with log.open("ab") as output:  # the server's own log lines, kept out of the report
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output
        )
    server = Server(process, f"http://127.0.0.1:{port}")
    spy: subprocess.Popen[bytes] | None = None
    try:
        _wait_listening(port, process)
        time.sleep(0.5 if workers == 1 else 2.0)  # let every worker import the app
        server.sample()
        if profile is not None:
            spy = _start_profiler(process.pid, profile)
        yield server
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes]:
    py_spy = Path(sys.executable).with_name("py-spy")
    command = [
        *(str(py_spy), "record", "--pid", str(pid), "--subprocesses", "--rate", "200"),
        *("--format", "raw", "--output", str(output), "--nonblocking"),
    ]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return spy


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("server did not start listening within 60 s")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summarize(values: list[float]) -> dict[str, float]:
    """Latencies in milliseconds."""
    return {
        "n": len(values),
        "p50": percentile(values, 0.50) * 1000,
        "p95": percentile(values, 0.95) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "max": (max(values) if values else float("nan")) * 1000,
        "mean": (statistics.fmean(values) if values else float("nan")) * 1000,
    }


def print_table(title: str, rows: Mapping[str, Mapping[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'step':<22}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, row in rows.items():
        print(
            f"  {name:<22}{int(row['n']):>7}{row['p50']:>10.1f}{row['p95']:>10.1f}"
            f"{row['p99']:>10.1f}{row['max']:>10.1f}"
        )


def summarize_profile(path: Path, *, top: int = 25) -> list[str]:
    """The functions where the sampled time went, from py-spy's collapsed stacks.

    ``self`` counts samples with the function on top of the stack; ``total`` samples with it
    anywhere on the stack (each function once per sample).
    """
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for row in path.read_text().splitlines():
        stack, _, count_text = row.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            total[name] += count
    lines = [f"{samples} samples"]
    lines += ["self:"] + [f"  {n / samples:6.1%}  {name}" for name, n in own.most_common(top)]
    project = [(name, n) for name, n in total.most_common() if _is_project(name)][:top]
    lines += ["total (project code):"] + [f"  {n / samples:6.1%}  {name}" for name, n in project]
    return lines


def _frame_name(frame: str) -> str:
    """``func (path/to/module.py:123)`` → ``func (module path without the line)``."""
    name, _, location = frame.partition(" (")
    location = location.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in location:
            location = location.split(marker, 1)[1]
    return f"{name} ({location})" if location else name


def _is_project(name: str) -> bool:
    return any(f"({package}/" in name for package in ("core", "conference", "groups", "auth"))
