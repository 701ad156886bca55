"""What ``supportline demo`` prints: the credentials as JSON or for a person at a terminal, the
meetings it put in progress, and how to dial in with terminal phones."""

from __future__ import annotations

from typing import Any

from core.settings import get_settings
from supportline.demo import MODERATOR_PHONE, Demo
from supportline.demo_helpline import HELPLINE_CALLER, DemoHelpline
from supportline.demo_secrets import demo_password
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
        "helpline": _helpline(demo.helpline),
    }


def _helpline(helpline: DemoHelpline) -> dict[str, Any]:
    return {
        "national_line": helpline.national_line,
        "contact_points": [
            {
                "id": seeded.point.id,
                "name": seeded.point.name,
                "language": seeded.point.language,
                "time_zone": seeded.point.time_zone,
                "line": seeded.line,
                "national": seeded.point.national_order is not None,
                "coordinators": [
                    {"username": username, "password": demo_password(username)}
                    for username in seeded.coordinators
                ],
                "volunteers": [
                    {"username": username, "password": demo_password(username), "phone": phone}
                    for username, phone in seeded.volunteers
                ],
                "on_duty_now": seeded.on_duty_now,
            }
            for seeded in helpline.points
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
    return "\n".join(lines + _helpline_text(payload["helpline"]))


def _helpline_text(helpline: dict[str, Any]) -> list[str]:
    lines = [
        f"Demo helpline: national line {helpline['national_line']}, answered by the contact "
        "points on it; each contact point's volunteers and coordinators sign in as staff"
    ]
    for point in helpline["contact_points"]:
        national = ", on the national line" if point["national"] else ""
        on_duty = ", ".join(point["on_duty_now"]) or "nobody"
        lines.append(
            f"Contact point {point['id']}: {point['name']} ({point['language']}, "
            f"{point['time_zone']}), {point['line']}{national}; on duty now: {on_duty}"
        )
        lines += [
            f"  coordinator {c['username']:<26} {c['password']}" for c in point["coordinators"]
        ]
        lines += [
            f"  volunteer   {v['username']:<26} {v['password']}  phone {v['phone']}"
            for v in point["volunteers"]
        ]
    return lines


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


def helpline_notes(demo: Demo, program: str) -> list[str]:
    """How to call the contact point on duty now with terminal phones: the caller, and the
    phone of a volunteer on duty that the call rings (``program``: as in ``dial_in_notes``)."""
    seeded = demo.helpline.on_duty
    if seeded is None or not seeded.ringing_now:
        return [
            f"To ring a helpline volunteer now: `{program} demo --meeting-now` puts "
            f"{demo.helpline.points[0].point.name} on duty and says how to call it."
        ]
    first = seeded.volunteers[0][0]
    username, number = next(
        (ringing for ringing in seeded.ringing_now if ringing[0] == first),
        seeded.ringing_now[0],
    )
    emulator = get_settings().twilio_api_url
    elsewhere = f" --emulator {emulator}" if emulator and emulator != EMULATOR_URL else ""
    return [
        f"On duty now: {seeded.point.name} ({', '.join(seeded.on_duty_now)}). Call it with "
        "terminal phones, each in a terminal of its own:",
        f"  volunteer:  {program} receive {number}{elsewhere}   {username}'s phone: Enter "
        "answers, then 1 takes the call",
        f"  caller:     {program} call {seeded.line} --from {HELPLINE_CALLER}{elsewhere}",
    ]


def voicemail_notes(demo: Demo, program: str) -> list[str]:
    """With ``--meeting-now``: the contact point out of hours takes a voicemail, and where its
    inbox is."""
    if demo.helpline.on_duty is None:
        return []
    closed = next(p for p in demo.helpline.points if p.point.name == "London")
    emulator = get_settings().twilio_api_url
    elsewhere = f" --emulator {emulator}" if emulator and emulator != EMULATOR_URL else ""
    inbox = f"{get_settings().public_base_url}/console/helpline/{closed.point.id}/voicemail"
    return [
        f"Out of hours now: {closed.point.name} takes a voicemail (# ends it):",
        f"  caller:     {program} call {closed.line} --from {HELPLINE_CALLER}{elsewhere}",
        f"  its inbox:  {inbox} (as {closed.coordinators[0]} or {closed.volunteers[0][0]})",
    ]
