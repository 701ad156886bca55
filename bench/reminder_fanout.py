"""The reminder fan-out: N due reminders dispatched through the real code path to Prism.

    .venv/bin/python -m bench.reminder_fanout --db postgres           # 10,000 reminders
    .venv/bin/python -m bench.reminder_fanout --db sqlite --quick     # 500, a smoke run

Seeds groups x members through the services with a meeting two hours ahead (so the default
three-hour reminder is due), warms Prism up (untimed), runs the real reminder job
(``enqueue_due_reminders``) and the real dispatcher (``dispatch``: claim, send
``OUTBOX_SEND_CONCURRENCY`` at a time through Twilio clients and the twilio SDK, record) against
Prism serving Twilio's OpenAPI description. In the same run plain SDK loops measure Prism's own
capacity: as many loops at once as the dispatcher has sending threads (a client each), once
before the fan-out and once after it (Prism's speed drifts within minutes; the ratio the target
is about is against the mean of the two), and one loop for comparison. Verifies that every
member got exactly one reminder, in the outbox and on the wire. Traffic goes to 127.0.0.1 only;
nothing asserts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bench import harness, seed

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--members", type=int, default=100, help="per group (at most 100)")
    parser.add_argument("--plain", type=int, default=2000, help="messages of the plain SDK loop")
    parser.add_argument(
        "--warmup",
        type=int,
        default=5000,
        help="untimed requests to Prism first, one loop per sending thread",
    )
    parser.add_argument("--quick", action="store_true", help="10 groups x 50 members")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="OUTBOX_SEND_CONCURRENCY (default: setting)"
    )
    args = parser.parse_args()
    if args.quick:
        args.groups, args.members, args.plain, args.warmup = 10, 50, 300, 1000
    return args


def configure(workdir: Path, url: str, prism_url: str, concurrency: int | None) -> None:
    """This process is the dispatcher: Twilio configured, its API pointed at Prism."""
    if concurrency is not None:
        os.environ["SUPPORTLINE_OUTBOX_SEND_CONCURRENCY"] = str(concurrency)
    harness.use_environment(
        {
            "SUPPORTLINE_ENVIRONMENT": "development",
            "SUPPORTLINE_DATA_DIR": str(workdir),
            "SUPPORTLINE_DATABASE_URL": url,
            "SUPPORTLINE_PUBLIC_BASE_URL": "https://line.example.org",
            "SUPPORTLINE_SECRET_KEY": os.urandom(24).hex(),
            "SUPPORTLINE_PII_KEYS": Fernet.generate_key().decode(),
            "SUPPORTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "SUPPORTLINE_TWILIO_AUTH_TOKEN": "bench-token-not-a-secret",
            "SUPPORTLINE_TWILIO_API_URL": prism_url,
            "SUPPORTLINE_SMTP_HOST": "",
            # Seeding hashes temporary PINs; their cost is not what this benchmark measures.
            "SUPPORTLINE_ARGON2_MEMORY_COST": "8",
            "SUPPORTLINE_ARGON2_TIME_COST": "1",
        }
    )


class WireCount:
    """Counts the SDK's requests per recipient, under the real HTTP client (on the wire).

    The dispatcher sends on several threads (one client each): the count is locked.
    """

    def __init__(self) -> None:
        from core.twilio_http import RedirectingHttpClient

        self.by_recipient: Counter[str] = Counter()
        real = RedirectingHttpClient.request
        counter = self.by_recipient
        lock = threading.Lock()

        def counting(client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            response = real(client, method, url, *args, **kwargs)
            if method.upper() == "POST" and url.endswith("/Messages.json"):
                with lock:
                    counter[(kwargs.get("data") or {}).get("To", "?")] += (
                        response.status_code == 201
                    )
            return response

        RedirectingHttpClient.request = counting  # type: ignore[method-assign,assignment]


def seed_members(url: str, groups: int, members: int, now: datetime) -> None:
    """Groups whose meeting starts in two hours (the three-hour reminder is due), no other mail."""
    from notifications.models import OutboxMessage

    seeder = seed.Seeder(url, now + timedelta(hours=2, minutes=2), "unused-hash")
    seeder.add_groups(groups, members)
    with Session(seeder.engine) as session:
        # Approval queued invitations and PIN messages; this benchmark is about reminders only.
        session.execute(delete(OutboxMessage))
        session.commit()
    seeder.close()


def plain_sdk_rate(prism_url: str, count: int, loops: int) -> tuple[float, float]:
    """Prism's own capacity: ``loops`` threads each running the same SDK and HTTP client in a
    loop (a client per thread, like the dispatcher's sending threads), nothing else.

    Returns messages per second and this process's CPU milliseconds per message.
    """
    from core.twilio_http import make_twilio_client

    def loop(first: int, last: int) -> None:
        client = make_twilio_client(
            account_sid=ACCOUNT_SID, auth_token="bench-token-not-a-secret", api_url=prism_url
        )
        for index in range(first, last):
            client.messages.create(
                to=f"+48602{index:06d}",
                from_=seed.LINE_NUMBER,
                body="Reminder: your call today at 20:00. Reply STOP to stop reminders.",
                status_callback="https://line.example.org/twilio/sms/status/1",
            )

    share = count // loops
    threads = [
        threading.Thread(target=loop, args=(n * share, (n + 1) * share)) for n in range(loops)
    ]
    started, cpu = time.perf_counter(), harness.own_cpu_seconds()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = harness.own_cpu_seconds() - cpu
    return share * loops / (time.perf_counter() - started), cpu * 1000 / (share * loops)


def measure_plain(prism_url: str, count: int, loops: int) -> tuple[float, float, float]:
    """``plain_sdk_rate`` and the share of the machine that was busy meanwhile."""
    machine = harness.machine_cpu()
    return (*plain_sdk_rate(prism_url, count, loops), busy_share(machine))


def busy_share(since: tuple[float, float]) -> float:
    """The share of the whole machine that was busy since ``since`` (other tenants included)."""
    busy, total = harness.machine_cpu()
    return (busy - since[0]) / max(total - since[1], 1e-9)


def check_exactly_once(url: str, wire: WireCount, expected: int) -> dict[str, int]:
    from core.database import make_engine
    from groups.models import Membership
    from notifications.models import Kind, OutboxMessage, Status

    engine = make_engine(url)
    with Session(engine) as session:
        per_member = Counter(
            dict(
                session.execute(
                    select(OutboxMessage.membership_id, func.count())
                    .where(OutboxMessage.kind == Kind.reminder, OutboxMessage.status == Status.sent)
                    .group_by(OutboxMessage.membership_id)
                ).all()
            )
        )
        members = session.scalar(select(func.count()).select_from(Membership)) or 0
    engine.dispose()
    return {
        "members": members,
        "members_with_exactly_one_sent_row": sum(1 for n in per_member.values() if n == 1),
        "members_with_more_than_one": sum(1 for n in per_member.values() if n > 1),
        "requests_on_the_wire": sum(wire.by_recipient.values()),
        "recipients_on_the_wire": len(wire.by_recipient),
        "expected": expected,
    }


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.emulators.prism import run_prism

    expected = args.groups * args.members
    with tempfile.TemporaryDirectory(prefix="supportline-fanout-") as tmp, run_prism() as prism:
        workdir = Path(tmp)
        with seed.fresh_database(args.db, workdir) as url:
            configure(workdir, url, prism, args.concurrency)
            from core.database import get_engine, get_sessionmaker
            from core.settings import get_settings
            from notifications import delivery, tasks

            now = datetime.now(UTC)
            started = time.perf_counter()
            seed_members(url, args.groups, args.members, now)
            print(
                f"seeded {args.groups} x {args.members} members on {args.db} in "
                f"{time.perf_counter() - started:.0f} s"
            )
            # Prism compiles its request handling as it goes and keeps getting faster for
            # thousands of requests (a fresh one: ~150/s with one loop at first, 340-430/s with
            # four after 1,000, 420-575/s after 8,000): warm it up (untimed, not counted) so
            # the fan-out does not pay for that while the plain loops would not.
            loops = get_settings().outbox_send_concurrency
            if args.warmup:
                plain_sdk_rate(prism, args.warmup, loops)
            plain_before = measure_plain(prism, args.plain, loops)
            wire = WireCount()
            sessions = get_sessionmaker()
            started, cpu = time.perf_counter(), harness.own_cpu_seconds()
            machine = harness.machine_cpu()
            with sessions.begin() as session:
                queued = tasks.enqueue_due_reminders(session, now=now)
            enqueued_s = time.perf_counter() - started
            report = tasks.dispatch(
                sessions,
                clock=tasks.running_clock(now),
                providers=delivery.Providers.from_settings(),
            )
            elapsed = time.perf_counter() - started
            cpu = harness.own_cpu_seconds() - cpu
            busy = busy_share(machine)
            check = check_exactly_once(url, wire, expected)
            get_engine().dispose()
        # Prism's capacity, as the dispatcher uses it: as many concurrent loops as it has
        # sending threads (the ratio is against this, before and after), and one loop.
        plain = {n: measure_plain(prism, args.plain, n) for n in sorted({1, loops})}
    rate = report.sent / elapsed
    capacity = (plain_before[0] + plain[loops][0]) / 2
    print(
        f"queued {queued} reminders in {enqueued_s:.1f} s; dispatched: sent {report.sent}, "
        f"retried {report.retried}, failed {report.failed}, in doubt {report.in_doubt}, "
        f"skipped {report.skipped}"
    )
    print(
        f"fan-out ({loops} sending threads): {rate:.0f} messages/s end to end ({elapsed:.1f} s, "
        f"dispatcher CPU {cpu:.1f} s, {cpu * 1000 / max(report.sent, 1):.2f} ms per message)"
    )
    runs = [(f"{loops} loops before", plain_before)] + [
        (f"{n} loop{'s' * (n > 1)} after", plain[n]) for n in sorted(plain)
    ]
    print(
        "Prism with plain SDK loops: "
        + ", ".join(
            f"{name} {r:.0f} messages/s ({c:.2f} ms CPU per message)" for name, (r, c, _) in runs
        )
    )
    print(
        f"machine busy (all processes, {os.cpu_count()} cores): {busy:.0%} during the fan-out, "
        + ", ".join(f"{b:.0%} during {name}" for name, (_, _, b) in runs)
    )
    print(
        f"ratio fan-out / Prism capacity with {loops} concurrent loops (mean of before and "
        f"after, {capacity:.0f}/s): {rate / capacity:.2f} (target >= 0.70); against one loop: "
        f"{rate / plain[1][0]:.2f}"
    )
    # CPU per message moves with the host's speed as much as with the code; divided by the
    # plain loops' in the same run it says how much the dispatcher adds to sending alone.
    plain_cpu = (plain_before[1] + plain[loops][1]) / 2
    print(
        f"dispatcher CPU per message / the {loops} plain loops' (mean of before and after, "
        f"{plain_cpu:.2f} ms): {cpu * 1000 / max(report.sent, 1) / plain_cpu:.2f}"
    )
    print("exactly once: " + ", ".join(f"{key} {value}" for key, value in check.items()))


if __name__ == "__main__":
    main()
