"""What ``supportline demo`` prints: the credentials as JSON or for a person at a terminal, the
meetings it put in progress, and how to dial in with terminal phones."""

from __future__ import annotations

from typing import Any

from core.settings import get_settings
from supportline.demo import MODERATOR_PHONE, Demo
from supportline.emulator import EMULATOR_URL

CHANGED = "changed by its owner on a first call"


def _pin(pin: str | None) -> str:
    return f"PIN {pin}" if pin is not None else f"PIN {CHANGED}"


def as_json(demo: Demo) -> dict[str, Any]:
    """The shape ``supportline demo --json`` prints."""
    return {
        "staff": [
            {"username": username, "password": password, "role": role.value}
            for username, password, role in demo.staff
        ],
        "lines": demo.lines,
        "groups": [
            {
                "id": seeded.group.id,
                "name": seeded.group.name,
                "language": seeded.group.language,
                "line": seeded.line,
                "moderators": [
                    {
                        "participant_number": m.participant_number,
                        "pin": m.pin,
                    }
                    for m in seeded.moderators
                ],
                "members": [
                    {
                        "alias": m.alias,
                        "participant_number": m.participant_number,
                        "pin": m.pin,
                        "phone": m.phone,
                        "email": m.email,
                        "language": m.language,
                    }
                    for m in seeded.members
                ],
            }
            for seeded in demo.groups
        ],
    }


def as_text(payload: dict[str, Any]) -> str:
    """The same credentials for a person reading a terminal."""
    console = f"{get_settings().public_base_url}/console/"
    lines = [f"Demo staff: sign in to the web console at {console} (or the API) as"]
    lines += [f"  {s['role']:<10} {s['username']:<16} {s['password']}" for s in payload["staff"]]
    lines.append("Demo lines: " + ", ".join(payload["lines"]))
    for group in payload["groups"]:
        lines.append(f"Group {group['id']}: {group['name']} ({group['language']}), {group['line']}")
        lines += [
            f"  moderator   number {m['participant_number']}  {_pin(m['pin'])}"
            for m in group["moderators"]
        ]
        lines += [
            f"  {m['alias']:<10}  number {m['participant_number']}  {_pin(m['pin'])}"
            for m in group["members"]
        ]
    return "\n".join(lines)


def meeting_notes(demo: Demo) -> list[str]:
    notes = []
    if demo.meeting_now is not None:
        notes.append(
            f"In progress now: {demo.meeting_now.group.name}, "
            f"until {demo.meeting_now.ends_at:%H:%M} UTC"
        )
    if demo.meeting_later is not None:
        notes.append(
            f"Later today: {demo.meeting_later.group.name}, "
            f"at {demo.meeting_later.starts_at:%H:%M} UTC"
        )
    elif demo.meeting_now is not None:
        notes.append(
            "Later today: none; the groups' local day ends within the next hour or so, "
            "so no other meeting could start later today"
        )
    return notes


def dial_in_notes(demo: Demo, program: str) -> list[str]:
    """How to call the meeting in progress with terminal phones: the moderator and a member of
    its group, each in a terminal of its own, through the Twilio emulator (``program``: how the
    ``supportline`` command is run here)."""
    if demo.meeting_now is None:
        return [
            f"To call a meeting now: `{program} demo --meeting-now` puts one in progress and "
            "says how to dial in."
        ]
    seeded = next(g for g in demo.groups if g.group.id == demo.meeting_now.group_id)
    moderator, member = seeded.moderators[0], seeded.members[0]
    call = f"{program} call {seeded.line} --from"
    emulator = get_settings().twilio_api_url
    elsewhere = f" --emulator {emulator}" if emulator and emulator != EMULATOR_URL else ""
    return [
        "Dial in with terminal phones (the Twilio emulator runs beside the server), each in a "
        "terminal of its own:",
        f"  moderator:  {call} {MODERATOR_PHONE}{elsewhere}   "
        f"number {moderator.participant_number}, {_pin(moderator.pin)}",
        f"  {member.alias + ':':<11} {call} {member.phone}{elsewhere}   "
        f"number {member.participant_number}, "
        f"{_pin(member.pin)}",
        "The first call with these PINs asks for a new one; later calls take the new one.",
        f"Live panel: {get_settings().public_base_url}/console/ as demo-moderator, then Live panel",
    ]
