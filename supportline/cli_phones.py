"""The commands of the phones on loopback: the Twilio emulator, and the terminal phones that
call a line or are rung by one (``supportline.cli`` registers them)."""

from __future__ import annotations

import logging.config
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from core.database import get_sessionmaker
from core.logs import log_config
from core.settings import get_settings
from supportline.emulator import EMULATOR_URL
from supportline.emulator.delivery import Mode
from supportline.emulator.hooks import ACCOUNT_SID
from supportline.terminal import console, fail, port_taken

if TYPE_CHECKING:
    from supportline.phone import TerminalPhone


EmulatorOption = Annotated[
    str, typer.Option("--emulator", help="the Twilio emulator (`supportline twilio-emulator`)")
]


def twilio_emulator(
    host: Annotated[str, typer.Option(help="address to listen on (loopback only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8001,
    server: Annotated[
        str | None,
        typer.Option(help="where the server listens (default: its public base URL)"),
    ] = None,
    delivery: Annotated[
        Mode, typer.Option(help="the order of callbacks (during: before the REST answer)")
    ] = Mode.in_order,
) -> None:
    """Twilio on loopback: its REST API for the server, a phone network for `supportline call`.

    The server reaches it with SUPPORTLINE_TWILIO_API_URL and the same
    SUPPORTLINE_TWILIO_ACCOUNT_SID and SUPPORTLINE_TWILIO_AUTH_TOKEN.
    """
    from supportline.emulator import server as emulator  # noqa: PLC0415 - keeps `--help` fast
    from supportline.emulator_account import line_numbers  # noqa: PLC0415

    logging.config.dictConfig(log_config())
    settings = get_settings()
    account = settings.twilio_account_sid or ACCOUNT_SID
    if account != ACCOUNT_SID:
        raise fail(
            f"the emulator's account is {ACCOUNT_SID}: set SUPPORTLINE_TWILIO_ACCOUNT_SID to it"
        )
    config = emulator.EmulatorConfig(
        host=host,
        port=port,
        server=server or settings.public_base_url,
        public_url=settings.public_base_url,
        account=account,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        mode=delivery,
    )
    refusal = config.refusal() or port_taken(host, port)
    if refusal is not None:
        raise fail(refusal)
    console.print(
        f"Twilio emulator on http://{host}:{port}: the REST API for the server, phones for "
        f"`supportline call`; webhooks go to {config.server} (callbacks: {delivery})"
    )
    emulator.serve(config, account_numbers=partial(line_numbers, get_sessionmaker()))


def call(
    number: Annotated[str, typer.Argument(help="the line to dial, e.g. +12025550100")],
    caller: Annotated[str, typer.Option("--from", help="the caller's number")] = "+15005550006",
    emulator: EmulatorOption = EMULATOR_URL,
) -> None:
    """A terminal phone: call a line through the Twilio emulator, type keypad digits."""
    _on_terminal_phone(emulator, lambda phone: phone.call(number, caller))


def receive(
    number: Annotated[str, typer.Argument(help="this phone's number, e.g. +48600100001")],
    emulator: EmulatorOption = EMULATOR_URL,
) -> None:
    """A terminal phone that a <Dial> rings: shows the caller ID, Enter answers."""
    _on_terminal_phone(emulator, lambda phone: phone.receive(number))


def _on_terminal_phone(emulator: str, use: Callable[[TerminalPhone], None]) -> None:
    import httpx  # noqa: PLC0415 - keeps `--help` fast

    from supportline.phone import PhoneError, TerminalPhone, keyboard_line  # noqa: PLC0415

    with httpx.Client(base_url=emulator, timeout=30.0, trust_env=False) as http:
        phone = TerminalPhone(http, read=keyboard_line, write=typer.echo)
        try:
            use(phone)
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None
        except (PhoneError, httpx.HTTPError) as exc:
            reason = str(exc) or type(exc).__name__
            raise fail(
                f"{reason} (is `supportline twilio-emulator` running at {emulator}?)"
            ) from None
