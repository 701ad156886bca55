"""A dispatcher in a process of its own, for the crash test: ``python -m`` this module.

Arguments: database URL, a log file, the ISO time to dispatch at. Its SMS "provider" appends
each outbox id it accepts to the log file (flushed and fsynced before returning), so the log is
the provider's own record of what it received, whatever happens to this process afterwards.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from core.database import make_engine
from notifications.delivery import Providers
from notifications.providers import Sms
from notifications.tasks import dispatch, running_clock
from tests.notifications.fakes import FakeMailer


class FileSms:
    def __init__(self, path: Path) -> None:
        self.path = path

    def send_sms(self, message: Sms) -> str:
        outbox_id = message.status_callback.rsplit("=", 1)[1]
        with self.path.open("a") as log:
            log.write(f"{outbox_id}\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(0.002)  # the provider's latency: a window for the kill to land in
        return f"SM{int(outbox_id):032d}"


def main() -> None:
    url, log_path, now = sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    sessions = sessionmaker(bind=make_engine(url), expire_on_commit=False)
    dispatch(
        sessions,
        clock=running_clock(now),
        providers=Providers(sms=FileSms(log_path), mailer=FakeMailer()),
    )


if __name__ == "__main__":
    main()
