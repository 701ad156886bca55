"""A Twilio voice engine that behaves as Twilio documents it: for the tests, the terminal phone
and the dial-in benchmark.

``engine`` keeps calls and conferences and executes the TwiML the server answers; it does no I/O:
every step returns the webhooks Twilio would now request (``Webhook``), and a driver posts them
and feeds the answers back. ``delivery`` posts them in one of several orders (as Twilio may);
``control`` is the engine as the server's ``ConferenceControl`` in one process; ``server`` is the
engine as a process of its own, speaking Twilio's REST API to the server and a small API to
terminal phones.
"""
