"""The deployment kit under ``deploy/`` names real commands and options, so it cannot drift from
the CLI silently."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportline.cli import app

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))


class _UnitFile(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # systemd's keys keep their case


def unit(path: Path) -> configparser.ConfigParser:
    parser = _UnitFile(interpolation=None, strict=True)
    parser.read_string(path.read_text())
    return parser


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_there_is_a_unit_for_the_web_processes_and_one_for_the_worker() -> None:
    assert [path.name for path in UNITS] == [
        "supportline-web.service",
        "supportline-worker.service",
    ]


@pytest.mark.parametrize("path", UNITS, ids=[path.name for path in UNITS])
def test_a_unit_starts_a_real_command_and_restarts_it(path: Path) -> None:
    service = unit(path)["Service"]
    program, command, *arguments = shlex.split(service["ExecStart"])
    assert Path(program).name == "supportline"
    assert re.search(rf"^│ {command} ", help_of(), re.MULTILINE), command
    listed = help_of(command)
    for option in (word for word in arguments if word.startswith("--")):
        assert f"{option} " in listed, f"{command} has no option {option}"
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == "/etc/supportline/supportline.env"


def test_the_proxies_forward_to_the_web_units_port_and_make_twilio_public() -> None:
    exec_start = unit(DEPLOY / "supportline-web.service")["Service"]["ExecStart"]
    arguments = shlex.split(exec_start)
    address = (
        f"{arguments[arguments.index('--host') + 1]}:{arguments[arguments.index('--port') + 1]}"
    )
    for proxy in ("Caddyfile", "nginx.conf"):
        text = (DEPLOY / proxy).read_text()
        assert address in text and "/twilio/" in text, proxy
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "X-Forwarded-For" in nginx and "X-Forwarded-Proto" in nginx
