"""A Twilio voice engine that behaves as Twilio documents it: for the tests, the terminal phone,
the demo and the dial-in benchmark.

``engine`` keeps calls and conferences and executes the TwiML the server answers; it does no I/O:
every step returns the webhooks Twilio would now request (``Webhook``), and a driver posts them
and feeds the answers back. ``delivery`` posts them in one of several orders (as Twilio may);
``local`` is the engine as the server's ``ConferenceControl`` in one process (the tests);
``server`` is the engine as a process of its own (``supportline twilio-emulator``): Twilio's REST
API for the server (``rest``), a small API for terminal phones, and the threads that post the
webhooks and tick the clock (``switchboard``).
"""

EMULATOR_URL = "http://127.0.0.1:8001"  # where `supportline call` finds it unless told
