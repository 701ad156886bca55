"""README's quick start, run exactly as printed: the demo starts (server and Twilio emulator), the
two terminal-phone commands it shows dial in with the numbers and PINs the demo printed, and its
helpline commands ring a volunteer's terminal phone that takes the call with 1.

The demo keeps its data in a directory of the test's own (``SUPPORTLINE_DATA_DIR``), so a
developer's demo database is left alone; the commands themselves are README's, word for word.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
NEW_PIN = "590317"


def code_blocks(text: str) -> list[list[str]]:
    """The shell lines of each fenced block, comments removed."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    return [
        [line.split("  #")[0].strip() for line in block.splitlines() if line] for block in blocks
    ]


def test_readme_starts_with_the_demo_and_the_test_commands() -> None:
    first, *_ = code_blocks(README)
    assert first == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert README.index("```sh") < README.index("\n## ")  # before anything else is explained


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """README's quick-start command, running; yields the process and what it printed first."""
    found = re.search(r"`(bash scripts/demo\.sh --meeting-now)`", README)
    assert found is not None, "README's quick start shows `bash scripts/demo.sh --meeting-now`"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTLINE_")}
    env["SUPPORTLINE_DATA_DIR"] = str(tmp_path_factory.mktemp("readme-demo"))
    process = subprocess.Popen(
        shlex.split(found.group(1)),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    printed = _until_serving(process)
    try:
        yield process, printed
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal: both processes stop
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def _until_serving(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    printed: list[str] = []
    deadline = time.monotonic() + 240  # a fresh clone installs the runtime first
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError("the demo stopped:\n" + "".join(printed))
        printed.append(line)
        if "caller:" in line:  # the last line: how to call the helpline contact point on duty
            break
    while time.monotonic() < deadline:
        try:
            if httpx.get("http://127.0.0.1:8000/healthz", timeout=1).status_code == 200:
                return "".join(printed)
        except httpx.TransportError:
            time.sleep(0.2)  # waiting for a process to start, not for application time
    raise AssertionError("the demo's server did not answer:\n" + "".join(printed))


def credentials(printed: str, who: str) -> tuple[str, str]:
    found = re.search(rf"{who}:.*number (\d+), PIN (\d+)", printed)
    assert found is not None, printed
    return found.group(1), found.group(2)


@pytest.mark.integration
def test_the_table_of_scheduled_jobs_lists_every_job() -> None:
    from supportline.jobs import job_specs

    listed = set(re.findall(r"^\| `([a-z_]+)` \| [0-9]+ (?:s|min|h) \|", README, re.MULTILINE))
    assert listed == {spec.name for spec in job_specs()}


def test_every_setting_is_documented() -> None:
    from core.settings import Settings

    names = {
        str(field.validation_alias or f"SUPPORTLINE_{name.upper()}")
        for name, field in Settings.model_fields.items()
    }
    assert {name for name in names if f"`{name}`" not in README} == set()


def test_the_quick_start_phones_dial_in_as_printed(
    demo: tuple[subprocess.Popen[str], str],
) -> None:
    _process, printed = demo
    meeting = next(block for block in code_blocks(README) if any(" call " in c for c in block))
    calls = [line for line in meeting if " call " in line]
    assert len(calls) == 2, calls
    for command, who in zip(calls, ("moderator", "Alex"), strict=True):
        number, pin = credentials(printed, who)
        keys = f"{number}#\n{pin}#\n{NEW_PIN}#\n{NEW_PIN}#\n"  # then ctrl-D: hang up
        done = subprocess.run(
            shlex.split(command),
            cwd=ROOT,
            input=keys,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Thank you. Your new PIN is saved." in done.stdout
        assert "You are joining your group now." in done.stdout
        assert "[hung up]" in done.stdout


class Terminal:
    """A README command in a terminal of its own: lines typed at it, what it prints read as it
    comes; its keyboard stays open until it ends, as a person's does."""

    def __init__(self, command: str) -> None:
        self.process = subprocess.Popen(
            shlex.split(command),
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.printed: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def until(self, text: str, *, timeout: float = 30.0) -> str:
        """Wait for a printed line with ``text`` in it; that line."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.printed.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed: {self.printed}")

    def ended(self) -> int:
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=30)  # it has read to the end
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.stdout.close()
        return code


@pytest.mark.integration
def test_the_helpline_phones_ring_and_connect_as_printed(
    demo: tuple[subprocess.Popen[str], str],
) -> None:
    _process, printed = demo
    [helpline] = [block for block in code_blocks(README) if any(" receive " in c for c in block)]
    receive, call = helpline
    found = re.search(r"\.venv/bin/supportline receive \+\d+", printed)
    assert found is not None, printed
    if found.group(0) != receive:  # at weekends the seats ring the duty mobiles, as README says
        assert f"`{found.group(0)}`" in README
        receive = found.group(0)
    line, caller_number = re.findall(r"\+\d+", call)
    national = f"`{call.replace(line, '+12025550140')}`"
    assert national in README
    for dialled in (call, national.strip("`")):
        volunteer = Terminal(receive)
        volunteer.until("[waiting for calls to")
        caller = Terminal(dialled)
        ringing = volunteer.until("[ringing:")
        assert ringing.startswith(f"[ringing: {line}]") and caller_number not in ringing
        volunteer.type("")  # Enter answers
        volunteer.until("Naciśnij 1, aby odebrać.")
        volunteer.type("1")
        volunteer.until("[connected]")
        caller.until("[connected]")
        volunteer.type("")  # Enter hangs up
        assert volunteer.ended() == 0
        caller.until("[call ended]")
        assert caller.ended() == 0  # its keyboard still open: the other party hung up
        assert not any(caller_number in shown for shown in volunteer.printed)
