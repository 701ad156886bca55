"""Request bodies refused early when they are larger than any the API or the console takes.

A body is otherwise read and parsed before anything else looks at the request — a 50 MB JSON
body sent without credentials still cost its parsing before the 401. Twilio's webhooks have
their own, smaller limit (``core.webhooks``), checked in front of this.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import AppError, error_response

# The largest body the JSON API or a console form sends is a few kilobytes (a group with its
# weekly slots, a referral with a note).
MAX_BODY_BYTES = 256 * 1024


class BodyTooLarge(AppError):
    status_code = 413
    error = "payload_too_large"

    def __init__(self, max_bytes: int = MAX_BODY_BYTES, what: str = "the request body") -> None:
        super().__init__(f"{what} may be at most {max_bytes // 1024} KB")


class BodyLimit:
    """413 for a body over ``max_bytes``: at once when its Content-Length says so, else as soon
    as that much has arrived (the part read so far is handed on unchanged when it fits)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await error_response(BodyTooLarge(self.max_bytes))(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit, then hand the same messages on.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await error_response(BodyTooLarge(self.max_bytes))(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
