from __future__ import annotations

from core.errors import Conflict, Forbidden, InvalidInput, NotFound


class ContactPointNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such contact point, or it is not one of yours")


class CoordinatorsOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("only this contact point's coordinators (or an admin) can do this")


class ShiftNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such shift at this contact point")


class TemplateNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such weekly shift at this contact point")


class VolunteerNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such volunteer at this contact point")


class DutyPhoneNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such duty phone at this contact point")


class CallNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such call at this contact point")


class NameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("a contact point with this name exists already")


class LineUsedByGroup(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this line belongs to a group; take it off the group first, then give it to the "
            "helpline"
        )


class PhoneTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("this phone number is already used by another volunteer or duty phone")


class StaffNotFound(InvalidInput):
    def __init__(self) -> None:
        super().__init__("no active staff account with this id")


class ShiftsOverlap(Conflict):
    def __init__(self, other: str) -> None:
        super().__init__(f"this weekly shift overlaps another at this contact point ({other})")


class SeatsBelowAssigned(Conflict):
    def __init__(self, assigned: int) -> None:
        super().__init__(
            f"{assigned} volunteers are already signed up for a coming shift of this kind; "
            "remove some of them before lowering the seats"
        )


class ShiftSeatsBelowAssigned(Conflict):
    def __init__(self, assigned: int) -> None:
        super().__init__(
            f"{assigned} volunteers are signed up for this shift; remove some of them before "
            "lowering its seats"
        )


class ShiftFull(Conflict):
    def __init__(self) -> None:
        super().__init__("every seat of this shift is taken; choose another shift")


class AlreadySignedUp(Conflict):
    def __init__(self) -> None:
        super().__init__("this volunteer already has a seat on this shift")


class NotSignedUp(Conflict):
    def __init__(self) -> None:
        super().__init__("this volunteer has no seat on this shift")


class PastCutoff(Conflict):
    def __init__(self, hours: int) -> None:
        super().__init__(
            f"sign-ups and withdrawals close {hours} hours before a shift; ask the coordinator"
        )


class ShiftOver(Conflict):
    def __init__(self) -> None:
        super().__init__("this shift has ended or is cancelled")


class NotOnThisContactPoint(InvalidInput):
    def __init__(self) -> None:
        super().__init__("this volunteer does not serve at this contact point; add them first")


class NoCallerToBlock(Conflict):
    def __init__(self) -> None:
        super().__init__("this call came from a withheld number, so its caller cannot be blocked")


class NotAMobile(InvalidInput):
    def __init__(self) -> None:
        super().__init__("a seat can be given a duty mobile, not a desk phone")


class VolunteersOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("only volunteers of this contact point sign up for its shifts")


class OneOffOverlaps(Conflict):
    def __init__(self) -> None:
        super().__init__("this shift overlaps another shift at this contact point")


class OneOffTimes(InvalidInput):
    def __init__(self) -> None:
        super().__init__("a shift must end after it starts, and not in the past")


class BadMonth(InvalidInput):
    def __init__(self) -> None:
        super().__init__("choose a month as YYYY-MM, like 2026-03")


class ServingGroupNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such serving group at this contact point")


class GroupNotFound(InvalidInput):
    def __init__(self) -> None:
        super().__init__("no such group; give the serving group a name instead")


class PositionTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("another serving group has this place in the order")


class MonthHasNoShifts(Conflict):
    def __init__(self, month: str) -> None:
        super().__init__(
            f"this contact point has no coming shifts in {month}; add weekly or one-off shifts "
            "first, then generate the rota"
        )


class NoServingGroups(Conflict):
    def __init__(self) -> None:
        super().__init__("no serving group can take a turn: add one, or resume a paused one")


class MonthOver(InvalidInput):
    def __init__(self) -> None:
        super().__init__("that month is over; a rota is generated for this month or a later one")


class RepresentativesOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "only the coordinators or the representative of the group covering this shift can "
            "fill its seats"
        )


class CandidateNeedsMentor(Conflict):
    def __init__(self, any_experienced: bool) -> None:
        who = "an experienced volunteer" if any_experienced else "your mentor"
        super().__init__(
            f"as a candidate you sign up only for shifts on which {who} serves, and nobody like "
            "that has a seat on this one yet; choose another shift or ask the coordinator"
        )


class CandidacyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such candidacy at this contact point")


class AlreadyCandidate(Conflict):
    def __init__(self) -> None:
        super().__init__("this volunteer is already a candidate here")


class MentorNotExperienced(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "a mentor is an experienced volunteer of this contact point (not a candidate, not "
            "the candidate themself)"
        )


class CandidacyClosed(Conflict):
    def __init__(self) -> None:
        super().__init__("this volunteer has already been confirmed as experienced")


class RepresentativeIncomplete(InvalidInput):
    def __init__(self) -> None:
        super().__init__("a representative without a staff account needs both a name and a phone")


class NotOnDuty(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this volunteer has no seat on a shift running now or starting within the check-in "
            "window, so there is nothing to check in for"
        )


class NotPending(Conflict):
    def __init__(self) -> None:
        super().__init__("this seat has no sign-up waiting for approval")


class OwnSeatOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "only a volunteer of this contact point checks in for their own seat; a coordinator "
            "names the volunteer"
        )


class VoicemailNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such voicemail at this contact point")


class ReviewersOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "only this contact point's coordinators and the voicemail reviewers they named can "
            "open its voicemail"
        )


class VoicemailNotFetched(Conflict):
    def __init__(self) -> None:
        super().__init__("this voicemail's audio has not been fetched from Twilio yet")


class PassedToUnknownGroup(InvalidInput):
    def __init__(self) -> None:
        super().__init__("no such group to pass the voicemail to")


class VoicemailAtTwilio(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this voicemail is still at Twilio; it can be deleted once it has been fetched"
        )


class CoverTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("someone has already taken this seat; thank you all the same")


class CoverClashes(Conflict):
    def __init__(self) -> None:
        super().__init__("you are on another duty at that time")


class CoverRequestNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such cover request at this contact point")


class SwapNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such open seat offer at this contact point")


class SwapNotForYou(Forbidden):
    def __init__(self) -> None:
        super().__init__("this seat is offered to someone else")


class SwapOwnOffer(Conflict):
    def __init__(self) -> None:
        super().__init__("this is your own offer: cancel it instead")


class SwapAlreadyOffered(Conflict):
    def __init__(self) -> None:
        super().__init__("you have already offered this seat; cancel that offer first")


class SwapStarted(Conflict):
    def __init__(self) -> None:
        super().__init__("this shift has started: ask the coordinator")
