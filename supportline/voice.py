"""The Voice URL of every line, ``/twilio/voice``: what the line dialled belongs to decides the
call — a group's line starts the dial-in, a contact point's or the national line reaches the
helpline, any other number is not in service."""

from __future__ import annotations

from conference import router as conference
from conference import twiml as conference_twiml
from core.logs import get_logger
from core.webhooks import TwilioRouter, Webhook
from helpline import router as helpline

log = get_logger(__name__)

entry_router = TwilioRouter("/twilio")


@entry_router.post("/voice", unavailable=conference_twiml.unavailable)
async def voice(hook: Webhook) -> str:
    answer = await conference.answer_call(hook)
    if answer is None:
        answer = await helpline.answer_call(hook)
    if answer is None:
        log.warning("call.unknown_line", extra={"call_sid": hook.get("CallSid")})
        return conference.not_in_service()
    return answer
