"""The Messaging URL of every line, ``/twilio/sms``: who wrote decides who answers.

STOP and HELP (and their configured words) are the notifications' and always win, a volunteer's
STOP too. Then a helpline volunteer's reply (check-in, NO, YES …) is the helpline's. Anything
else — START, or a word from someone who is not a volunteer — is the notifications' again.

YES is also one of Twilio's own opt-in words on a long code: Twilio records the opt-in, sends
its own confirmation, and still passes the message on to this webhook, so a volunteer's YES
reaches the helpline (and the opt-in is recorded here too). Only a Messaging Service's Advanced
Opt-Out can take YES off Twilio's list and with it Twilio's extra reply
(https://help.twilio.com/articles/223134027-Twilio-support-for-opt-out-keywords-SMS-STOP-filtering-,
https://support.twilio.com/hc/en-us/articles/360034798533-Getting-Started-with-Advanced-Opt-Out-for-Messaging-Services;
docs/twilio.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from core.webhooks import TwilioRouter, Webhook
from helpline import texts, words
from notifications import inbound

sms_router = TwilioRouter("/twilio")


@sms_router.post("/sms")
async def incoming_sms(hook: Webhook) -> str:
    """Twilio's incoming-message webhook: keywords, and helpline volunteers' replies."""
    reply = await hook.work(
        answer,
        from_number=hook.get("From"),
        to_number=hook.get("To"),
        body=hook.get("Body"),
        now=hook.now,
        opt_out_type=hook.get("OptOutType"),
    )
    response = MessagingResponse()
    if reply is not None:
        response.message(reply)
    return str(response)


def answer(
    session: Session,
    *,
    from_number: str,
    to_number: str,
    body: str,
    now: datetime,
    opt_out_type: str = "",
) -> str | None:
    """The reply to one incoming SMS (None: none), in one unit of work."""
    action = inbound.keyword_action(body, opt_out_type)

    def keywords() -> str | None:
        return inbound.handle_sms(
            session,
            from_number=from_number,
            to_number=to_number,
            body=body,
            now=now,
            opt_out_type=opt_out_type,
        )

    if action in {"stop", "help"}:
        return keywords()
    # START (YES among them): the opt-in is recorded whoever wrote it.
    started = keywords() if action == "start" else None
    if action is None or words.classify(body) is not None:
        reply = texts.handle_text(session, from_number=from_number, body=body, now=now)
        if reply is not None:
            return reply
    return started
