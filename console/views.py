"""What each console page shows, assembled from the domain services (one call per route)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Staff
from conference import controls
from conference import service as conference_service
from conference.admission import meeting_end
from conference.models import AccessEvent, Call
from core import audit, audit_chain
from groups import meetings as groups_meetings
from groups import members as members_service
from groups import service as groups_service
from groups.models import (
    SEATED,
    Group,
    Meeting,
    MeetingStatus,
    Membership,
    Referral,
    ReferralStatus,
)
from notifications import notices
from notifications import service as notifications_service
from notifications.models import Channel, Kind, OutboxMessage, Status

NEXT_MEETINGS_ON_CARD = 3
MEETINGS_ON_PAGE = 10
MEMBERS_ON_PAGE = 200
QUEUE_LENGTH = 100
AUDIT_PAGE = 50
# The live panel is offered from this long before a meeting starts until it ends.
LIVE_PANEL_OPENS = timedelta(minutes=30)


@dataclass(frozen=True)
class GroupCard:
    group: Group
    meetings: list[Meeting]
    members: int
    pending_referrals: int
    live: frozenset[int]  # meetings in progress or opening soon: their live panel is linked
    now: frozenset[int]  # the meeting in progress, marked as such


@dataclass(frozen=True)
class GroupPage:
    card: GroupCard
    memberships: list[Membership]
    moderator_names: list[str]


@dataclass(frozen=True)
class QueueItem:
    referral: Referral
    group: Group


@dataclass(frozen=True)
class LivePanel:
    roster: controls.Roster
    running: bool
    moderator_present: bool
    failed_pins: int
    attempts: list[tuple[AccessEvent, Membership]]


# What each action code of the audit log (every audit.record in the domains) says, after who did
# it; a code missing here is shown as it is.
AUDIT_ACTIONS = {
    "staff.create": "created a staff account",
    "staff.update": "changed a staff account",
    "line.create": "registered a phone line",
    "group.create": "created a group",
    "group.update": "changed a group's schedule or settings",
    "moderator.assign": "made someone a moderator of a group",
    "moderator.remove": "removed a moderator from a group",
    "meeting.add": "added a meeting",
    "meeting.cancel": "cancelled a meeting",
    "meeting.move": "moved a meeting to another time",
    "meeting.topic": "set the topic of a meeting",
    "referral.create": "filed a referral",
    "referral.approve": "approved a referral",
    "referral.reject": "rejected a referral",
    "membership.view_contact": "looked at a member's phone and e-mail",
    "membership.reset_pin": "gave a member a new PIN",
    "membership.resend_invitation": "sent a member's invitation again",
    "membership.unlock": "unlocked a member after wrong PINs",
    "membership.suspend": "suspended a member",
    "membership.reinstate": "reinstated a member",
    "membership.eject": "ejected a member for good",
    "membership.erase": "erased a member's data",
    "membership.export": "downloaded a member's own copy of their data",
    "conference.mute": "muted someone in the call",
    "conference.unmute": "unmuted someone in the call",
    "conference.hold": "put someone on hold in the call",
    "conference.resume": "took someone off hold in the call",
    "conference.kick": "removed someone from the call",
    "conference.mute_all": "muted all members in the call",
    "conference.lock": "locked the call's room",
    "conference.unlock": "unlocked the call's room",
    "conference.extend": "extended a meeting's call",
    "conference.end": "ended a meeting's call",
    "contact_point.create": "created a helpline contact point",
    "contact_point.update": "changed a contact point's settings",
    "helpline.line_attach": "gave a phone line to the helpline",
    "helpline.line_detach": "took a phone line off the helpline",
    "helpline.voicemail_settings": "changed a contact point's voicemail settings",
    "helpline.reviewer_named": "named a voicemail reviewer",
    "helpline.reviewer_removed": "removed a voicemail reviewer",
    "helpline.voicemail_played": "listened to a voicemail",
    "helpline.voicemail_handled": "marked a voicemail handled",
    "helpline.voicemail_passed": "noted a voicemail passed to a group",
    "helpline.voicemail_deleted": "deleted a voicemail",
    "duty_phone.create": "added a duty phone",
    "duty_phone.delete": "removed a duty phone",
    "volunteer.add": "added a volunteer to a contact point",
    "volunteer.remove": "removed a volunteer from a contact point",
    "coordinator.add": "made someone a coordinator of a contact point",
    "shift_template.create": "added a weekly duty shift",
    "shift_template.update": "changed a weekly duty shift",
    "shift_template.delete": "removed a weekly duty shift",
    "shift.add": "added a one-off duty shift",
    "shift.cancel": "cancelled a duty shift",
    "shift.seats": "changed the seats of a duty shift",
    "seat.sign_up": "signed up for a duty shift",
    "seat.withdraw": "gave up a seat on a duty shift",
    "seat.decline": "replied NO to a duty reminder, giving the seat up",
    "cover.accept": "took a seat someone gave up (cover)",
    "seat.offer": "offered their seat on a duty shift to another volunteer",
    "seat.offer_cancel": "withdrew the offer of their seat",
    "seat.swap": "took over a seat another volunteer offered",
    "helpline.cover_settings": "changed a contact point's cover deadlines",
    "seat.assign": "seated a volunteer on a duty shift",
    "seat.unassign": "took a volunteer off a duty shift",
    "helpline.block": "blocked a helpline caller for a time",
    "serving_group.create": "added a group to a contact point's rota",
    "serving_group.update": "changed, paused or resumed a group of a rota",
    "rota.generate": "generated a month of a rota",
    "rota.edit": "gave a shift of a rota to another group",
    "rota.whole_group": "put a whole group on a shift with a duty mobile",
    "candidacy.create": "made a volunteer a candidate with a mentor",
    "candidacy.confirm": "confirmed a candidate as an experienced volunteer",
    "candidacy.extend": "extended a candidacy",
    "contact_point.rota_settings": "changed a contact point's rota settings or coordinator's term",
    audit.CUT_ACTION: "removed the log's entries older than the retention period",
}
# What the record acted on, in words: "member #12".
AUDIT_TARGETS = {
    "membership": "member",
    "referral": "referral",
    "staff": "staff account",
    "line": "phone line",
    "group": "group",
    "meeting": "meeting",
    "contact_point": "contact point",
    "duty_phone": "duty phone",
    "volunteer": "volunteer",
    "shift_template": "weekly shift",
    "shift": "duty shift",
    "helpline_call": "helpline call",
    "serving_group": "serving group",
    "candidacy": "candidacy",
}


@dataclass(frozen=True)
class AuditPage:
    entries: list[audit.AuditEntry]
    chain: audit_chain.ChainReport
    usernames: dict[int, str]
    group_names: dict[int, str]
    total: int
    offset: int
    limit: int
    actions: dict[str, str] = field(default_factory=lambda: dict(AUDIT_ACTIONS))
    targets: dict[str, str] = field(default_factory=lambda: dict(AUDIT_TARGETS))


def _card(session: Session, group: Group, now: datetime, meetings: int) -> GroupCard:
    upcoming, _total = groups_meetings.list_meetings(
        session, group_id=group.id, since=now, limit=meetings, offset=0
    )
    return GroupCard(
        group=group,
        meetings=upcoming,
        members=groups_service.count_members(session, group.id),
        pending_referrals=groups_service.count_pending_referrals(session, group.id),
        live=frozenset(m.id for m in upcoming if is_live(m, now)),
        now=frozenset(m.id for m in upcoming if in_progress(m, now)),
    )


def is_live(meeting: Meeting, now: datetime) -> bool:
    """In progress or opening soon: what a moderator would open the live panel for."""
    if meeting.status is not MeetingStatus.scheduled:
        return False
    return meeting.starts_at - LIVE_PANEL_OPENS <= now < meeting_end(meeting)


def in_progress(meeting: Meeting, now: datetime) -> bool:
    """Started and not ended (extensions count): "now", not one of the upcoming ones."""
    if meeting.status is not MeetingStatus.scheduled:
        return False
    return meeting.starts_at <= now < meeting_end(meeting)


def my_groups(session: Session, *, staff: Staff, now: datetime) -> list[GroupCard]:
    groups, _total = groups_service.list_groups(session, staff=staff, limit=200, offset=0)
    return [_card(session, group, now, NEXT_MEETINGS_ON_CARD) for group in groups]


def group_page(session: Session, *, group: Group, now: datetime) -> GroupPage:
    memberships, _total = members_service.list_memberships(
        session, group_id=group.id, status=None, limit=MEMBERS_ON_PAGE, offset=0
    )
    names = []
    for moderator in groups_service.moderators(session, group.id):
        staff = auth_service.get_staff(session, moderator.staff_id) if moderator.staff_id else None
        names.append(staff.username if staff else "(removed account)")
    return GroupPage(
        card=_card(session, group, now, MEETINGS_ON_PAGE),
        memberships=memberships,
        moderator_names=names,
    )


def live_panel(session: Session, *, meeting: Meeting) -> LivePanel:
    """Who is in the call, and the failed logins and lockouts of this meeting."""
    roster = controls.roster(session, meeting=meeting)
    return LivePanel(
        roster=roster,
        running=roster.room.conference_sid is not None and roster.room.ended_at is None,
        moderator_present=any(call.is_moderator for call, _ in roster.participants),
        failed_pins=conference_service.failed_pin_entries(session, meeting=meeting),
        attempts=[
            (event, members_service.get_membership(session, event.membership_id))
            for event in roster.attempts
        ],
    )


def membership_of(session: Session, call: Call) -> Membership:
    """Whose call it is (a call in the room always belongs to a membership)."""
    assert call.membership_id is not None
    return members_service.get_membership(session, call.membership_id)


def referral_queue(session: Session, *, staff: Staff) -> list[QueueItem]:
    referrals, _total = members_service.list_referrals(
        session,
        group_ids=groups_service.moderated_group_ids(session, staff),
        status=ReferralStatus.pending,
        limit=QUEUE_LENGTH,
        offset=0,
    )
    groups = {group.id: group for group in groups_service.directory(session)}
    return [QueueItem(r, groups[r.group_id]) for r in referrals if r.group_id in groups]


def audit_page(session: Session, *, offset: int) -> AuditPage:
    entries, total = audit.list_entries(session, limit=AUDIT_PAGE, offset=offset)
    staff, _count = auth_service.list_staff(session, limit=1000, offset=0)
    return AuditPage(
        entries=entries,
        chain=audit_chain.verify(session),
        usernames={person.id: person.username for person in staff},
        group_names={group.id: group.name for group in groups_service.directory(session)},
        total=total,
        offset=offset,
        limit=AUDIT_PAGE,
    )


DELIVERIES_PAGE = 50
KIND_LABELS = {
    Kind.invitation: "Invitation e-mail",
    Kind.invitation_update: "Updated invitation e-mail",
    Kind.pin: "PIN by SMS",
    Kind.reminder: "Reminder SMS",
    Kind.meeting_cancelled: "Cancellation notice SMS",
    Kind.meeting_moved: "New-time notice SMS",
    Kind.moderator_notice: "Notice to the moderators",
}
STATUS_LABELS = {
    Status.pending: "waiting",
    Status.claimed: "sending",
    Status.sending: "sending",
    Status.sent: "sent",
    Status.delivered: "delivered",
    Status.failed: "failed",
    Status.no_provider: "held",
    Status.skipped: "not sent",
    Status.expired: "too late",
    Status.cancelled: "withdrawn",
}
FILTERS = (Status.failed, Status.pending, Status.sent, Status.delivered, Status.skipped)
# What a moderator can send again from a row: (the member's action path, the button's label).
RESEND = {
    Kind.invitation: ("resend/invitation", "Send the invitation again"),
    Kind.invitation_update: ("resend/invitation", "Send the invitation again"),
    Kind.pin: ("resend/pin", "Send a new PIN"),
}


# A held message's one line: nothing is wrong with it, it waits for the server's settings.
HELD = {
    Channel.sms: "Held: no SMS service is set up on this server yet; it is sent once one is.",
    Channel.email: "Held: no e-mail service is set up on this server yet; it is sent once one is.",
}


@dataclass(frozen=True)
class DeliveryItem:
    message: OutboxMessage
    membership: Membership | None
    meeting: Meeting | None
    resend: tuple[str, str] | None
    resend_refused: str | None = None  # why the resend is offered but cannot be sent now


@dataclass(frozen=True)
class DeliveriesPage:
    items: list[DeliveryItem]
    status: Status | None
    total: int
    offset: int
    limit: int
    kinds: dict[str, str] = field(
        default_factory=lambda: {k.value: v for k, v in KIND_LABELS.items()}
    )
    statuses: dict[str, str] = field(
        default_factory=lambda: {k.value: v for k, v in STATUS_LABELS.items()}
    )
    held: dict[str, str] = field(default_factory=lambda: {k.value: v for k, v in HELD.items()})
    filters: list[tuple[str, str]] = field(
        default_factory=lambda: [(s.value, STATUS_LABELS[s]) for s in FILTERS]
    )


def _delivery_item(session: Session, message: OutboxMessage) -> DeliveryItem:
    membership = None
    if message.membership_id is not None:
        membership = members_service.get_membership(session, message.membership_id)
    meeting = None
    if message.meeting_id is not None:
        meeting = groups_meetings.get_meeting(session, message.meeting_id)
    resend = RESEND.get(message.kind)
    if membership is None or membership.status not in SEATED:
        return DeliveryItem(message, membership, meeting, None)
    refused = None
    if message.kind is Kind.pin:
        refused = notices.why_no_sms(session, membership)
    return DeliveryItem(message, membership, meeting, resend, refused)


def deliveries_page(
    session: Session, *, group: Group, status: Status | None, offset: int
) -> DeliveriesPage:
    messages, total = notifications_service.list_deliveries(
        session, group_id=group.id, status=status, limit=DELIVERIES_PAGE, offset=offset
    )
    return DeliveriesPage(
        items=[_delivery_item(session, message) for message in messages],
        status=status,
        total=total,
        offset=offset,
        limit=DELIVERIES_PAGE,
    )
