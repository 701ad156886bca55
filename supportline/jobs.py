"""The list of periodic jobs: each domain's job functions, and how often each runs.

Registered here and nowhere else; the scheduler (``core.scheduler``) runs whatever this list
holds. APScheduler's persistent store keeps a reference to :func:`run_job` and a job's name,
never code.
"""

from __future__ import annotations

from conference import tasks as conference_tasks
from core.database import get_sessionmaker, utcnow
from core.scheduler import Jobs, JobSpec, guard
from core.settings import get_settings
from groups import tasks as groups_tasks
from helpline import tasks as helpline_tasks
from notifications import tasks as notification_tasks
from supportline import retention

RUN_JOB = "supportline.jobs:run_job"


def job_specs() -> list[JobSpec]:
    settings = get_settings()
    return [
        JobSpec(
            "plan_meetings", groups_tasks.plan_meetings_job, settings.scheduler_plan_minutes * 60
        ),
        JobSpec(
            "plan_shifts", helpline_tasks.plan_shifts_job, settings.scheduler_plan_minutes * 60
        ),
        JobSpec(
            "enqueue_reminders",
            notification_tasks.reminders_job,
            settings.scheduler_reminder_seconds,
        ),
        JobSpec("remind_duty", helpline_tasks.remind_duty_job, settings.scheduler_reminder_seconds),
        JobSpec("check_in", helpline_tasks.check_in_job, settings.scheduler_reminder_seconds),
        JobSpec(
            "terms_ending", helpline_tasks.terms_ending_job, settings.scheduler_reminder_seconds
        ),
        JobSpec(
            "remind_voicemails",
            helpline_tasks.remind_voicemails_job,
            settings.scheduler_reminder_seconds,
        ),
        JobSpec(
            "fetch_voicemails",
            helpline_tasks.fetch_voicemails_job,
            settings.scheduler_dispatch_seconds,
        ),
        JobSpec(
            "cover_alerts", helpline_tasks.cover_alerts_job, settings.scheduler_reminder_seconds
        ),
        JobSpec(
            "dispatch_outbox", notification_tasks.dispatch_job, settings.scheduler_dispatch_seconds
        ),
        JobSpec(
            "meeting_lifecycle",
            conference_tasks.lifecycle_job,
            settings.scheduler_conference_seconds,
        ),
        JobSpec("retention", retention.retention_job, settings.scheduler_retention_hours * 3600),
    ]


def run_job(name: str) -> None:
    """What APScheduler calls (by reference, so the persistent store holds no code)."""
    guard()  # only while this process holds the one-scheduler lock
    spec = next(spec for spec in job_specs() if spec.name == name)
    spec.function(get_sessionmaker(), utcnow())


JOBS = Jobs(specs=job_specs, run_job=RUN_JOB)
