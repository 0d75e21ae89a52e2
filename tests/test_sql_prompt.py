"""The `airace sql` prompt in a real terminal (a pseudo-terminal driving the installed command):
a statement typed over several lines runs at its `;`, Tab completes table names, dot commands
answer, and what was typed is kept in the history file."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.conftest import launch
from warehouse import EventStore, RawRecord
from warehouse.build import refresh_and_publish

REPO = Path(__file__).resolve().parent.parent
AIRACE = Path(sys.executable).parent / "airace"
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


class Terminal:
    """A process on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        # A real size: a 0x0 terminal would make every line wrap.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.screen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, pattern: str, timeout_s: float = 60) -> str:
        """Read until `pattern` (a regex) appears in what was shown since the last match."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = re.search(pattern, ANSI.sub("", self.screen))
            if match:
                shown = ANSI.sub("", self.screen)
                self.screen = shown[match.end():]
                return shown[: match.end()]
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the process ended and closed the terminal
                    break
        raise AssertionError(f"{pattern!r} did not appear within {timeout_s}s; the terminal shows:\n{ANSI.sub('', self.screen)}")

    def close(self, timeout_s: float = 30) -> int | None:
        """Wait for the process to end (reading what it still shows, so it never blocks
        writing to a full terminal); kill it if it does not. Returns its exit code."""
        deadline = time.monotonic() + timeout_s
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if ready:
                    try:
                        self.screen += os.read(self.master, 65536).decode(errors="replace")
                    except OSError:
                        time.sleep(0.1)
            return self.process.poll()
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            os.close(self.master)


@pytest.fixture
def published(store: EventStore) -> EventStore:
    store.append([RawRecord(str(i), launch(f"m-{i}", "2025-03-01", ref=f"m-{i}")) for i in range(3)], source="test")
    refresh_and_publish(store)
    return store


def test_the_prompt_runs_a_statement_typed_over_several_lines_completes_names_and_keeps_history(published, tmp_path):
    history = tmp_path / "history"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "AIRACE_HISTORY": str(history),
        "TERM": "xterm",
        # (no cursor-position queries: the test answers none)
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    terminal = Terminal([str(AIRACE), "sql", "--home", str(published.home.root)], env)
    try:
        terminal.wait_for(r"airace>")
        # Enter before the ; continues the statement on a new line; the ; runs it.
        terminal.type("select 40 +\r")
        terminal.wait_for(r"\.\.\.>")
        terminal.type("2 as answer\r")
        terminal.wait_for(r"\.\.\.>")
        terminal.type(";\r")
        assert "│ 42 " in terminal.wait_for(r"│ 42 .*\n(?s:.*)airace>")
        # Tab completes a table name, dots included.
        terminal.type("select count(*) as events from events.lo\t")
        terminal.wait_for(r"events\.log")
        terminal.type(";\r")
        assert "events" in terminal.wait_for(r"│ 3 .*\n(?s:.*)airace>")
        terminal.type(".tables\r")
        assert "marts.releases_monthly" in terminal.wait_for(r"marts\.releases_monthly_by_country(?s:.*)airace>")
        terminal.type("select * from no_such_table;\r")
        assert "no_such_table" in terminal.wait_for(r"error: (?s:.*)airace>")
        terminal.type("\x04")  # Ctrl-D
        assert terminal.close() == 0, ANSI.sub("", terminal.screen)
    finally:
        if terminal.process.poll() is None:
            terminal.close(timeout_s=0)
    kept = history.read_text()
    assert "+select 40 +\n+2 as answer\n+;" in kept
    assert "+select count(*) as events from events.log;" in kept
