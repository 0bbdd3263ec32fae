"""Every `segmart` command, given a typical mistake (nothing built yet, a name that does not
exist, a wrong setting, a broken registry file), says what is wrong in a few lines on standard
error and exits non-zero: never a Python traceback. A command that raised would fail its case
here with that exception (the command line would print its traceback)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from segmart import cli

BROKEN_SEGMENT = "name: broken\ngrain: user\nwhere: {performed: {event: }}\n"

# (arguments, what the message must say). {tmp} is the case's empty folder.
MISTAKES = [
    (["summary"], "no warehouse at {tmp}/warehouse/segmart.duckdb"),
    (["sql", "select 1"], "no warehouse at"),
    (["members", "power_users"], "no warehouse at"),
    (["timeline", "u_1"], "no warehouse at"),
    (["publish"], "no warehouse at"),
    (["forget", "--email", "a@example.com"], "no warehouse at"),
    (["forget"], "name someone"),
    (["reset-history", "--yes"], "no warehouse at"),
    (["activation", "status"], "no warehouse at"),
    (["activation", "enable", "webhook:NOPE"], "no warehouse at"),
    (["show", "no_such_segment"], "no segment named 'no_such_segment'"),
    (["preview", "no_such_segment"], "no segment named 'no_such_segment'"),
    (["explain", "no_such_segment"], "no segment named 'no_such_segment'"),
    (["diff", "no_such_segment"], "no segment named 'no_such_segment'"),
    (["generate", "--events", "0", "--out", "{tmp}/out"], "events must be at least 1"),
    (["build"], "no raw event file at SEGMART_EVENTS={tmp}/events"),
    (["validate", "--segments", "{tmp}/broken"], "broken.yml"),
    (["list", "--segments", "{tmp}/nowhere"], "no segments directory at {tmp}/nowhere"),
    (["compile", "--segments", "{tmp}/broken"], "broken.yml"),
    (["members", "--limit", "0", "power_users"], "no warehouse at"),
]


@pytest.mark.parametrize(("arguments", "message"), MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_a_mistake_is_a_short_message_not_a_traceback(
    arguments, message, tmp_path: Path, monkeypatch, capsys
):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.yml").write_text(BROKEN_SEGMENT)
    monkeypatch.setenv("SEGMART_EVENTS", str(tmp_path / "events"))
    monkeypatch.setenv("SEGMART_DUCKDB", str(tmp_path / "warehouse" / "segmart.duckdb"))
    monkeypatch.delenv("SEGMART_TARGET", raising=False)
    arguments = [argument.format(tmp=tmp_path) for argument in arguments]

    printed = ""
    try:
        code = cli.main(arguments)
    except SystemExit as exit_:  # argparse's, or sys.exit(message), which Python prints
        code, printed = (exit_.code, "") if isinstance(exit_.code, int) else (1, exit_.code)

    out, err = capsys.readouterr()
    err += printed
    assert code != 0
    assert "Traceback" not in out + err
    assert message.format(tmp=tmp_path) in out + err
    # A build's progress lines ([n/total] ...) come before its message.
    message_lines = [line for line in err.strip().splitlines() if not line.startswith("[")]
    assert len(message_lines) <= 6, err
    assert "> called by" not in err  # dbt's Jinja call stack stays in the log


def test_segmart_build_shows_progress_and_then_a_summary(tmp_path: Path):
    """Not a mistake: what a build shows where its output is a log (not a terminal): a line per
    model, then what dbt built, every warning, where the log is."""
    events = tmp_path / "events"
    events.mkdir()
    (events / "1.jsonl").write_text(
        '{"messageId": "m1", "type": "page", "anonymousId": "a1", '
        '"timestamp": "2024-05-01T08:00:00Z", "receivedAt": "2024-05-01T08:00:00Z"}\n'
    )
    env = {
        **os.environ,
        "SEGMART_EVENTS": str(events),
        "SEGMART_DUCKDB": str(tmp_path / "segmart.duckdb"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "segmart.cli", "build", "--no-publish"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert re.search(r"^\[\d+/(\d+)\] OK sql .* model marts\.sessions \(", result.stderr, re.M)
    total = re.match(r"\[\d+/(\d+)\]", lines[0]).group(1)
    assert all(line.startswith("[") or line.startswith("warning: ") for line in lines), lines
    assert all(f"/{total}]" in line for line in lines if line.startswith("["))
    assert "warning: segment power_users: empty" in lines  # one page view: every segment empty
    summary = re.search(
        r"^dbt: (\d+) models, 2 seeds, (\d+) tests in \dm\d\ds; its whole log: "
        r"logs/dbt.log$",
        result.stdout,
        re.M,
    )
    assert summary and int(summary.group(1)) > 40, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
