"""Who is calling: whether a call carries a caller number at all."""

from __future__ import annotations

# What carriers and Twilio put in ``From`` when the caller withholds their number: the words,
# or the words spelled on a keypad (+266696687 is ANONYMOUS).
WITHHELD_WORDS = (
    "anonymous",
    "restricted",
    "unavailable",
    "blocked",
    "unknown",
    "private",
    "withheld",
)
_KEYPAD = str.maketrans("abcdefghijklmnopqrstuvwxyz", "22233344455566677778889999")
# "" too: no ``From`` at all.
WITHHELD = frozenset({"", *WITHHELD_WORDS, *(word.translate(_KEYPAD) for word in WITHHELD_WORDS)})


def is_withheld(caller: str) -> bool:
    """True when the call carries no caller number (``From`` empty or a withheld placeholder,
    also as the user of a SIP address: ``sip:anonymous@…``)."""
    who = caller.strip().lower()
    if who.startswith(("sip:", "sips:")):
        who = who.partition(":")[2].partition("@")[0]
    return who.lstrip("+") in WITHHELD
