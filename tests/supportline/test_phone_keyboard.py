"""The terminal phone's keyboard: lines typed, ctrl-D, and a call that ends while the keyboard
still waits for a line (the other party hung up) ending the command cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAITING = """
import threading, time
from supportline.phone import keyboard_line
threading.Thread(target=keyboard_line, args=("keypad> ",), daemon=True).start()
time.sleep(0.2)  # the call ends meanwhile; the keyboard still waits
print("[call ended]")
"""
TYPING = """
from supportline.phone import keyboard_line
for _ in range(5):
    try:
        print(repr(keyboard_line("")))
    except EOFError:
        print("EOF")
"""


def run(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_keyboard_waiting_for_a_line_does_not_abort_the_end_of_the_call() -> None:
    with run(WAITING) as process:
        process.wait(timeout=30)  # its stdin stays open: nobody typed, nobody pressed ctrl-D
        assert process.stdout is not None and process.stderr is not None
        printed, errors = process.stdout.read(), process.stderr.read()
    assert (process.returncode, printed, errors) == (0, "keypad> [call ended]\n", "")


def test_lines_are_typed_without_their_line_ends_and_ctrl_d_is_eof() -> None:
    with run(TYPING) as process:
        printed, _errors = process.communicate("1234#\n\n5\r\n6", timeout=30)
    assert printed.splitlines() == ["'1234#'", "''", "'5'", "'6'", "EOF"]
