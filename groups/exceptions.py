from __future__ import annotations

from core.errors import Conflict, InvalidInput, NotFound


class GroupNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such group, or it is not one of yours")


class LineNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such phone line")


class MeetingNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such meeting, or it is not in one of your groups")


class ReferralNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such referral, or it is not for one of your groups")


class MembershipNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such member, or they are not in one of your groups")


class GroupFull(Conflict):
    def __init__(self, capacity: int) -> None:
        super().__init__(f"the group is full ({capacity} places); raise its capacity first")


class CapacityBelowMembers(Conflict):
    def __init__(self, members: int) -> None:
        super().__init__(f"the group already has {members} members; capacity cannot be lower")


class AlreadyDecided(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"this referral was already {status}")


class AlreadyMember(Conflict):
    def __init__(self) -> None:
        super().__init__("this caller is already a member of the group")


class LineUsedByHelpline(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this line belongs to the helpline; take it off the helpline first, then give it to "
            "the group"
        )


class LineTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("this phone line is already registered")


class InvalidMembershipState(Conflict):
    pass


class MeetingNotChangeable(Conflict):
    pass


class InvalidMeetingTime(InvalidInput):
    pass
