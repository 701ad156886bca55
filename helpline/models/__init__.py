"""The helpline's tables, the one name other domains import them by: contact points and their
people (``points``), duty (``shifts``), calls and voicemail (``calls``), the rota and candidates
(``rota``), cover and swaps (``cover``).

Phone numbers of volunteers are encrypted and found through a blind index, like members'. A
caller's number is never stored: only its keyed HMAC (``caller_key``), for a repeat-caller count
and the block list. Duty phones and lines are the organisation's own numbers.
"""

from __future__ import annotations

from helpline.models.calls import (
    CallerBlock,
    CallOutcome,
    FetchState,
    HelplineCall,
    Leg,
    LegOutcome,
    Voicemail,
    voicemail_reviewers,
)
from helpline.models.cover import CoverOffer, CoverRequest, SeatOffer, UnfilledAlert
from helpline.models.points import (
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    HelplineLine,
    NotifyBy,
    RingsAt,
    RingStrategy,
    Volunteer,
    contact_point_coordinators,
    contact_point_volunteers,
)
from helpline.models.rota import Candidacy, CandidacyStatus, RotaAssignment, RotaMonth, ServingGroup
from helpline.models.shifts import CheckInBy, NoShow, Seat, Shift, ShiftStatus, ShiftTemplate

__all__ = [
    "CallOutcome",
    "CallerBlock",
    "Candidacy",
    "CandidacyStatus",
    "CheckInBy",
    "ContactPoint",
    "CoverOffer",
    "CoverRequest",
    "DutyPhone",
    "DutyPhoneKind",
    "FetchState",
    "HelplineCall",
    "HelplineLine",
    "Leg",
    "LegOutcome",
    "NoShow",
    "NotifyBy",
    "RingStrategy",
    "RingsAt",
    "RotaAssignment",
    "RotaMonth",
    "Seat",
    "SeatOffer",
    "ServingGroup",
    "Shift",
    "ShiftStatus",
    "ShiftTemplate",
    "UnfilledAlert",
    "Voicemail",
    "Volunteer",
    "contact_point_coordinators",
    "contact_point_volunteers",
    "voicemail_reviewers",
]
