"""Retention: every domain's rules in one daily job, and ``supportline retention``.

Each domain owns its rules (``<domain>/retention.py``, and the audit log's in
``core.audit_chain``); this is where they are put together, in an order that keeps each rule's
inputs: the audit log's cut comes last, after the other rules, so that a run is recorded once.
What is kept and for how long is in ``docs/data-protection.md``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from auth import retention as auth_retention
from conference import retention as conference_retention
from core import audit_chain, retention
from core.logs import get_logger
from core.settings import get_settings
from groups import retention as groups_retention
from helpline import retention as helpline_retention
from notifications import retention as notifications_retention

log = get_logger("retention")


def rules() -> list[retention.Rule]:
    return [
        *groups_retention.rules(),
        *conference_retention.rules(),
        *auth_retention.rules(),
        *notifications_retention.rules(),
        *helpline_retention.rules(),
        audit_chain.retention_rule(),
    ]


def preview(sessions: sessionmaker[Session], now: datetime) -> dict[str, int]:
    """What a run at ``now`` would destroy, per rule; nothing is changed."""
    with sessions.begin() as session:
        return retention.preview(session, rules(), now)


def run(sessions: sessionmaker[Session], now: datetime) -> dict[str, int]:
    """Apply every rule in batches; logs how many rows each handled, nothing else."""
    counts = retention.apply_all(sessions, rules(), now, get_settings().retention_batch_size)
    log.info("retention.done", extra={"counts": counts, "total": sum(counts.values())})
    return counts


def retention_job(sessions: sessionmaker[Session], now: datetime) -> None:
    run(sessions, now)
