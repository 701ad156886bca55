"""The helpline's Twilio webhooks (every one signature-checked before it runs; rules live in
``helpline.calls``). The lines' Voice URL is shared with the groups' (``supportline.voice``)."""

from __future__ import annotations

from core.webhooks import TwilioRouter, Webhook
from helpline import calls, voicemail
from helpline import twiml as t
from helpline.replies import HangUp

twilio_router = TwilioRouter("/twilio/helpline")  # served by core.webhooks.TwilioWebhooks


async def answer_call(hook: Webhook) -> str | None:
    """A call to a helpline line; None: the number dialled is none of the helpline's."""
    reply = await hook.work.run(
        calls.incoming,
        call_sid=hook.get("CallSid"),
        caller=hook.get("From"),
        to=hook.get("To"),
        now=hook.now,
    )
    return None if reply is None else t.render(reply)


def _leg(hook: Webhook) -> int | None:
    return int(hook.param) if hook.param.isdigit() else None


@twilio_router.post("/whisper/{leg}", unavailable=t.unavailable_leg)
async def whisper(hook: Webhook) -> str:
    """A volunteer's phone answered: whose call it is, and press 1 to take it."""
    leg = _leg(hook)
    if leg is None:
        return t.render(HangUp("en"))
    return t.render(await hook.work.run(calls.whisper, leg_id=leg))


@twilio_router.post("/accept/{leg}", unavailable=t.unavailable_leg)
async def accept(hook: Webhook) -> str:
    """The volunteer's key: the first 1 is put through."""
    leg = _leg(hook)
    if leg is None:
        return t.render(HangUp("en"))
    reply = await hook.work.run(calls.accept, leg_id=leg, digits=hook.get("Digits"), now=hook.now)
    return t.render(reply)


@twilio_router.post("/dialled", unavailable=t.unavailable)
async def dialled(hook: Webhook) -> str:
    """The caller's ``<Dial>`` ended: the conversation is over, or the next phones ring."""
    reply = await hook.work.run(
        calls.dialled,
        call_sid=hook.get("CallSid"),
        call_status=hook.get("CallStatus"),
        talk_seconds=hook.get("DialCallDuration"),
        now=hook.now,
    )
    return t.render(reply)


@twilio_router.post("/recorded", unavailable=t.unavailable)
async def recorded(hook: Webhook) -> str:
    """The caller's voicemail ended (``<Record action>``): thanks, and goodbye."""
    return t.render(await hook.work.run(voicemail.recorded, call_sid=hook.get("CallSid")))


@twilio_router.post("/recording")
async def recording(hook: Webhook) -> str:
    """A voicemail's recording is ready (``recordingStatusCallback``): to be fetched. An empty
    document in every case: Twilio ignores the body, and an unknown one is only logged."""
    await hook.work.run(
        voicemail.recording_status,
        call_sid=hook.get("CallSid"),
        recording_sid=hook.get("RecordingSid"),
        status=hook.get("RecordingStatus"),
        duration=hook.get("RecordingDuration"),
        now=hook.now,
    )
    return t.empty()
