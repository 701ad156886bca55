from __future__ import annotations

from core.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized


class InvalidCredentials(Unauthorized):
    keeps_changes = True  # the failed attempt must be remembered for throttling

    def __init__(self) -> None:
        super().__init__("wrong username or password")


class LoginThrottled(TooManyRequests):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed logins; try again in {minutes} minutes")


class InvalidToken(Unauthorized):
    def __init__(self) -> None:
        super().__init__("the access token is missing, invalid or expired; log in again")


class RoleRequired(Forbidden):
    def __init__(self, action: str) -> None:
        super().__init__(f"your role does not allow you to {action}")


class UsernameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("this username is already taken; choose another one")


class StaffNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no such staff account")
