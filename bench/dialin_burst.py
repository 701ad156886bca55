"""The top-of-the-hour dial-in burst: the real server under C callers, against a bare baseline.

    .venv/bin/python -m bench.dialin_burst --db sqlite            # 2,000 callers over 120 s
    .venv/bin/python -m bench.dialin_burst --db postgres --quick  # a short smoke run
    .venv/bin/python -m bench.dialin_burst --db postgres --app-cpus 0 --callers 1000
                                        # the app on CPU 0; PostgreSQL and the callers on CPU 1

One run: seeds G groups x M members with meetings open now, starts the real server (uvicorn, N
worker processes), places the calls through Twilio's voice engine (``supportline.emulator``; signed
webhooks: entry, participant number, PIN, admission, the conference's join callback and wait URL),
then the same arrivals against the bare baseline app, one argon2 verification timed alone, and a
closed-loop saturation run; then the same burst and saturation against the hash-only app (the bare
baseline plus the PIN's verification on the real hashing threads), the ceiling of this machine and
framework. Prints the figures and the ratios the targets are about. All traffic stays on 127.0.0.1;
nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench import callers as calls
from bench import harness, seed
from bench.baseline_app import PIN_HASH_VARIABLE
from bench.phases import (
    Target,
    empty_rooms,
    interleaved_bursts,
    one_verification,
    print_phase,
    saturation,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, help="uvicorn processes (default: one per CPU)")
    parser.add_argument(
        "--app-cpus",
        type=_cpus,
        help="CPUs for the servers under test, e.g. 0 (default: all): this process, its load "
        "generator and PostgreSQL's server processes then run on the others, as if Twilio and "
        "the database were hosts of their own; the hash-bound limit counts these CPUs only",
    )
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--members", type=int, default=10, help="per group (at most 100)")
    parser.add_argument("--callers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120.0, help="arrivals spread over")
    parser.add_argument("--arrivals", choices=("uniform", "poisson"), default="poisson")
    parser.add_argument("--saturation-seconds", type=float, default=60.0, help="0 skips it")
    parser.add_argument(
        "--blocks",
        type=int,
        default=4,
        help="the bursts of the app, the baseline and the hash-only app take turns in this many "
        "blocks of time (1: one whole burst after the other)",
    )
    parser.add_argument(
        "--saturation-leave",
        action="store_true",
        help="saturation calls hang up after joining (leave callback + dial-ended) and their "
        "credentials are reused, instead of each credential dialling once per level",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--skip-ceiling",
        action="store_true",
        help="skip the hash-only app (bench.baseline_app.create_hashing_app): the same burst "
        "and saturation against an app whose only work is the PIN step's verification",
    )
    parser.add_argument("--profile", type=Path, help="write py-spy collapsed stacks here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--quick", action="store_true", help="200 callers over 15 s, 20 groups")
    args = parser.parse_args()
    if args.app_cpus is not None and not args.app_cpus < harness.machine_cpus():
        parser.error(f"--app-cpus: leave at least one of CPUs {sorted(harness.machine_cpus())}")
    if args.workers is None:
        args.workers = len(args.app_cpus) if args.app_cpus else os.cpu_count() or 1
    if args.quick:
        args.groups, args.members, args.callers = 20, 10, 200
        args.seconds, args.saturation_seconds = 15.0, 16.0
    if args.callers > args.groups * args.members:
        parser.error("each caller needs their own credentials: --callers <= groups x members")
    return args


def _cpus(text: str) -> frozenset[int]:
    try:
        cpus = frozenset(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("CPU numbers separated by commas, e.g. 0") from None
    if not cpus <= harness.machine_cpus():
        known = sorted(harness.machine_cpus())
        raise argparse.ArgumentTypeError(f"this machine's CPUs are {known}")
    return cpus


def server_log(db: str) -> Path:
    """Where the server's own log goes (kept after the run: errors are explained there)."""
    path = Path(tempfile.gettempdir()) / f"dialin-burst-{db}-server.log"
    path.unlink(missing_ok=True)
    return path


def time_verification(report: dict[str, Any], pin_hash: str, moment: str) -> None:
    """Time one verification alone again (the server idle): the host's speed drifts within a run
    (by a quarter or more within minutes), so the ratios use the median of every timing of the
    run."""
    median, fastest = one_verification(pin_hash)
    timings = report.setdefault("verifications", [])
    timings.append({"moment": moment, "median_ms": median * 1000, "min_ms": fastest * 1000})
    report["verification_ms"] = statistics.median(t["median_ms"] for t in timings)
    report["verification_min_ms"] = min(t["min_ms"] for t in timings)
    print(f"one argon2 verification alone, {moment}: median {median * 1000:.1f} ms")


def background_load(seconds: float = 3.0) -> float:
    """How busy the machine is before we start (other tenants share these cores)."""
    busy, total = harness.machine_cpu()
    time.sleep(seconds)
    busy_after, total_after = harness.machine_cpu()
    return (busy_after - busy) / max(total_after - total, 1e-9)


def configure(workdir: Path, url: str, port: int) -> tuple[dict[str, str], str]:
    """The server's environment, and the webhook token it checks signatures with.

    This process shares the server's secret key and PII keys (the blind indexes of the seeded
    participant numbers must match) but hashes the temporary PINs of seeding cheaply.
    """
    env = {
        "SUPPORTLINE_ENVIRONMENT": "development",
        "SUPPORTLINE_DATA_DIR": str(workdir),
        "SUPPORTLINE_DATABASE_URL": url,
        "SUPPORTLINE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SUPPORTLINE_SECRET_KEY": os.urandom(24).hex(),
        "SUPPORTLINE_PII_KEYS": Fernet.generate_key().decode(),
    }
    harness.use_environment(
        {**env, "SUPPORTLINE_ARGON2_MEMORY_COST": "8", "SUPPORTLINE_ARGON2_TIME_COST": "1"}
    )
    from core.settings import get_settings

    return env, get_settings().webhook_auth_token


def _best(rows: list[dict[str, Any]], key: str) -> float | None:
    sustainable = [row[key] for row in rows if row["errors"] == 0]
    return max(sustainable) if sustainable else None


def ratios(report: dict[str, Any], cores: int) -> dict[str, float]:
    verify = report["verification_ms"] / 1000
    out: dict[str, float] = {"hash_bound_calls_per_s": cores / verify}
    app = report["app"]["steps"]
    pin_p99 = app.get(calls.PIN_STEP, {}).get("p99", float("nan"))
    out["pin_p99_over_verification"] = pin_p99 / report["verification_ms"]
    if "baseline" in report:
        base_p99 = report["baseline"]["steps"]["all non-PIN"]["p99"]
        steps = [name for name in app if name not in (calls.PIN_STEP, "all non-PIN")]
        worst = max(app[name]["p99"] for name in steps)
        out["non_pin_worst_step_p99_over_baseline_p99"] = worst / base_p99
        out["non_pin_pooled_p99_over_baseline_p99"] = app["all non-PIN"]["p99"] / base_p99
    # Saturation against each level's own verification timings (see ``saturation``).
    best = _best(report.get("saturation", []), "calls_per_s")
    if best is not None:
        out["saturation_calls_per_s"] = best
        out["saturation_over_hash_bound"] = _best(report["saturation"], "over_hash_bound") or 0
    if "ceiling" in report:
        ceiling = report["ceiling"]
        ceiling_pin_p99 = ceiling["steps"][calls.PIN_STEP]["p99"]
        out["ceiling_pin_p99_over_verification"] = ceiling_pin_p99 / report["verification_ms"]
        ceiling_best = _best(ceiling.get("saturation", []), "calls_per_s")
        if ceiling_best is not None:
            out["ceiling_saturation_over_hash_bound"] = (
                _best(ceiling["saturation"], "over_hash_bound") or 0
            )
            if best is not None:
                out["saturation_over_ceiling"] = best / ceiling_best
    return out


def main() -> None:
    args = parse_args()
    cores = os.cpu_count() or 1  # the machine's, as /proc/stat counts them
    app_cores = len(args.app_cpus) if args.app_cpus is not None else cores
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "cores": cores}
    report["app_cores"] = app_cores
    with ExitStack() as pinned:
        if args.app_cpus is not None:
            others = harness.machine_cpus() - args.app_cpus
            os.sched_setaffinity(0, others)  # the load generator: Twilio's side
            if args.db == "postgres":
                # A SIGTERM unwinds like Ctrl-C, so that PostgreSQL gets its CPUs back.
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
                pinned.enter_context(harness.postgres_pinned(others))
            beside = "the load generator and PostgreSQL" if args.db == "postgres" else "the callers"
            print(f"servers on CPUs {sorted(args.app_cpus)}; {beside} on {sorted(others)}")
            print("(one verification alone is timed on those too, with the machine otherwise idle)")
        run(args, report, cores=cores, app_cores=app_cores)


def run(args: argparse.Namespace, report: dict[str, Any], *, cores: int, app_cores: int) -> None:
    with tempfile.TemporaryDirectory(prefix="supportline-bench-") as tmp:
        workdir, port = Path(tmp), harness.free_port()
        report["background_busy"] = background_load()
        print(f"machine busy before the run (others): {report['background_busy']:.0%}")
        pin_hash = seed.owasp_hash(seed.PIN)
        time_verification(report, pin_hash, "at the start")
        with seed.fresh_database(args.db, workdir) as url, ExitStack() as servers:
            env, token = configure(workdir, url, port)
            started = time.perf_counter()
            seeder = seed.Seeder(url, datetime.now(UTC), pin_hash)
            callers = seeder.add_groups(args.groups, args.members)
            seeder.close()
            print(
                f"seeded {args.groups} x {args.members} members on {args.db} in "
                f"{time.perf_counter() - started:.0f} s"
            )
            targets = start_servers(
                servers, workdir, args, env=env, port=port, pin_hash=pin_hash, token=token
            )
            log = server_log(args.db)
            bursts = interleaved_bursts(targets, callers[: args.callers], args)
            for target in targets:
                report[target.name] = bursts[target.name].figures()
                print_phase(target.title, report[target.name])
            print(f"  server log of the app: {log}")
            if args.saturation_seconds > 0:
                empty_rooms(targets[0])
                time_verification(report, pin_hash, "before the saturation")
                print("\nsaturation (closed loop; every server at each level in turn):")
                closed = [target for target in targets if target.name != "baseline"]
                rows = saturation(
                    closed,
                    callers,
                    args,
                    pin_hash=pin_hash,
                    cores=cores,
                    app_cores=app_cores,
                )
                report["saturation"] = rows["app"]
                if "ceiling" in report:
                    report["ceiling"]["saturation"] = rows["ceiling"]
                time_verification(report, pin_hash, "after the saturation")
        time_verification(report, pin_hash, "at the end")
    report["ratios"] = ratios(report, app_cores)
    print(f"\none verification alone, median of the run: {report['verification_ms']:.1f} ms")
    print("ratios (targets: saturation >= 0.70, non-PIN <= 5, PIN <= 3):")
    for name, value in report["ratios"].items():
        print(f"  {name:<45}{value:8.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if args.profile is not None:
        print("\nprofile of the server (py-spy):")
        print("\n".join(harness.summarize_profile(args.profile)))


def start_servers(
    servers: ExitStack,
    workdir: Path,
    args: argparse.Namespace,
    *,
    env: dict[str, str],
    port: int,
    pin_hash: str,
    token: str,
) -> list[Target]:
    """The real app, the bare baseline and the hash-only app, running side by side (idle while
    another is measured) so that their phases can take turns; each with the engine (one Twilio
    account) all its calls of the run are placed through."""
    app = servers.enter_context(
        harness.run_server(
            "supportline.app:create_served_app",
            env=env,
            workers=args.workers,
            port=port,
            log=server_log(args.db),
            profile=args.profile,
            cpus=args.app_cpus,
        )
    )
    title = f"app on {args.db}, {args.workers} workers"
    twilio = calls.Twilio(app.url, token)
    targets = [Target("app", title, app, calls.place_call, args.saturation_leave, twilio)]
    if not args.skip_baseline:
        baseline = servers.enter_context(
            harness.run_server(
                "bench.baseline_app:create_app",
                env={},
                workers=args.workers,
                port=harness.free_port(),
                log=workdir / "baseline.log",
                cpus=args.app_cpus,
            )
        )
        place, twilio = calls.place_baseline_call, calls.Twilio(baseline.url, token)
        targets.append(Target("baseline", "bare baseline", baseline, place, True, twilio))
    if not args.skip_ceiling:
        ceiling = servers.enter_context(
            harness.run_server(
                "bench.baseline_app:create_hashing_app",
                env={PIN_HASH_VARIABLE: pin_hash},
                workers=args.workers,
                port=harness.free_port(),
                log=workdir / "ceiling.log",
                cpus=args.app_cpus,
            )
        )
        place, twilio = calls.place_baseline_call, calls.Twilio(ceiling.url, token)
        title = "hash-only app (the ceiling)"
        targets.append(Target("ceiling", title, ceiling, place, True, twilio))
    return targets


if __name__ == "__main__":
    main()
