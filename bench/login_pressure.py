"""Staff logins against the dial-in call: does a stream of logins slow the calls?

    .venv/bin/python -m bench.login_pressure                 # SQLite, 10 s per phase
    .venv/bin/python -m bench.login_pressure --db postgres --seconds 5

Starts the real server (one web process) on a fresh database with one staff account, then probes
it for ``--seconds`` per phase: a signed ``POST /twilio/voice`` (a call comes in: one write) and a
``GET /healthz`` (and ``/readyz`` where the server has it), one after another, while nobody logs
in (the baseline), while one client logs in back to back with the right password (each login one
argon2 verification and one write), while four do, and while one client tries wrong passwords
(throttled per account and per address). Prints the probes' latencies and each phase's ratio of
p90 to the baseline's. All traffic stays on 127.0.0.1; nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from auth import service as auth_service
from auth.models import Role
from bench import harness, seed
from core.database import make_engine

PASSWORD = "a long benchmark password"
USERNAME = "bench-coordinator"
TOKEN = secrets.token_hex(16)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    return parser.parse_args()


def _seed_staff(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        auth_service.create_staff(session, username=USERNAME, password=PASSWORD, role=Role.admin)
        session.commit()
    engine.dispose()


async def _logins(base: str, deadline: float, *, right: bool, counts: list[int]) -> None:
    password = PASSWORD if right else "not the password"
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.perf_counter() < deadline:
            await client.post(
                "/api/v1/auth/token", data={"username": USERNAME, "password": password}
            )
            counts.append(1)


async def _probe(base: str, deadline: float) -> dict[str, list[float]]:
    validator = RequestValidator(TOKEN)
    seen: dict[str, list[float]] = {"voice": [], "healthz": [], "readyz": []}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        has_readyz = (await client.get("/readyz")).status_code != 404
        while time.perf_counter() < deadline:
            params = {"CallSid": "CA" + secrets.token_hex(16), "From": "+15005550006"}
            params["To"] = "+15005550001"
            signature = validator.compute_signature(base + "/twilio/voice", params)
            started = time.perf_counter()
            await client.post(
                "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
            )
            seen["voice"].append(time.perf_counter() - started)
            for path in ("/healthz", "/readyz") if has_readyz else ("/healthz",):
                started = time.perf_counter()
                await client.get(path)
                seen[path.lstrip("/")].append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
    return seen


async def _phase(
    base: str, seconds: float, clients: int, *, right: bool
) -> tuple[dict[str, list[float]], int]:
    deadline = time.perf_counter() + seconds
    counts: list[int] = []
    logins = [_logins(base, deadline, right=right, counts=counts) for _ in range(clients)]
    probed, *_ = await asyncio.gather(_probe(base, deadline), *logins)
    assert probed is not None
    return probed, len(counts)


def main() -> None:
    args = parse_args()
    phases = [("no logins", 0, True), ("1 client, right password", 1, True)]
    phases += [("4 clients, right password", 4, True), ("1 client, wrong password", 1, False)]
    with (
        tempfile.TemporaryDirectory() as workdir,
        seed.fresh_database(args.db, Path(workdir)) as url,
    ):
        _seed_staff(url)
        port = harness.free_port()
        env = {
            "SUPPORTLINE_ENVIRONMENT": "development",
            "SUPPORTLINE_DATABASE_URL": url,
            "SUPPORTLINE_DATA_DIR": workdir,
            "SUPPORTLINE_SECRET_KEY": secrets.token_hex(32),
            "SUPPORTLINE_PII_KEYS": Fernet.generate_key().decode(),
            "SUPPORTLINE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SUPPORTLINE_TWILIO_AUTH_TOKEN": TOKEN,
            "SUPPORTLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "SUPPORTLINE_TWILIO_API_URL": "http://127.0.0.1:9",  # never called here
        }
        log = Path(workdir) / "server.log"
        with harness.run_server(
            "supportline.app:create_served_app",
            env={**os.environ, **env},
            workers=1,
            port=port,
            log=log,
        ) as server:
            baseline: dict[str, float] = {}
            for name, clients, right in phases:
                probed, logins = asyncio.run(_phase(server.url, args.seconds, clients, right=right))
                rows = {
                    path: harness.summarize(values) for path, values in probed.items() if values
                }
                harness.print_table(
                    f"{name}: {logins / args.seconds:.0f} logins/s ({args.db})", rows
                )
                for path in rows:
                    p90 = harness.percentile(probed[path], 0.90) * 1000
                    ratio = p90 / baseline.setdefault(path, p90)
                    print(f"  {path:<22}p90 {p90:8.1f} ms   ratio to no logins {ratio:6.2f}")


if __name__ == "__main__":
    main()
