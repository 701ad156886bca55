"""Retention rules and the runner that applies them in batches.

Each domain owns its rules (its ``retention`` module): which rows are due at a given instant,
and what happens to them — deleted, or their personal columns cleared. A rule's ``due`` query
must stop matching a row once ``apply`` handled it: that makes a run idempotent, and a second
run (or one with a clock set back) finds nothing more. The composition root
(``supportline.retention``) gathers the rules into one daily job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

Due = Callable[[datetime], Select[Any]]  # one column: the rows' primary keys
Apply = Callable[[Session, Sequence[Any], datetime], None]
Prepare = Callable[[Session, datetime], None]


@dataclass(frozen=True)
class Rule:
    name: str  # for counts and logs: what goes, never whose
    due: Due  # the ids of the rows due at ``now``
    apply: Apply  # delete them, or clear their personal columns
    prepare: Prepare | None = None  # run once before the batches, in a transaction of its own


class RuleDoesNotProgress(RuntimeError):
    """A rule's ``apply`` left rows its ``due`` still matches: it would run forever."""


def days_before(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def years_before(now: datetime, years: int) -> datetime:
    """The same day and time ``years`` earlier (28 February for a 29th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def count_due(session: Session, rule: Rule, now: datetime) -> int:
    query = select(func.count()).select_from(rule.due(now).subquery())
    return session.scalar(query) or 0


def preview(session: Session, rules: Sequence[Rule], now: datetime) -> dict[str, int]:
    """What a run at ``now`` would handle, per rule; nothing is changed."""
    return {rule.name: count_due(session, rule, now) for rule in rules}


def apply_rule(sessions: sessionmaker[Session], rule: Rule, now: datetime, batch: int) -> int:
    """Apply ``rule`` a batch per transaction until nothing is due; returns the rows handled."""
    if rule.prepare is not None:
        with sessions.begin() as session:
            rule.prepare(session, now)
    done: set[Any] = set()
    while True:
        with sessions.begin() as session:
            query = rule.due(now).order_by(None)
            ids = list(session.scalars(query.order_by(*query.selected_columns).limit(batch)))
            if done.intersection(ids):
                raise RuleDoesNotProgress(rule.name)
            if ids:
                rule.apply(session, ids, now)
        done.update(ids)
        if len(ids) < batch:
            return len(done)


def apply_all(
    sessions: sessionmaker[Session], rules: Sequence[Rule], now: datetime, batch: int
) -> dict[str, int]:
    return {rule.name: apply_rule(sessions, rule, now, batch) for rule in rules}
