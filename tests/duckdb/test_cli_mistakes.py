"""Every `segmart` command, given a typical mistake (nothing built yet, a name that does not
exist, a wrong setting, a broken registry file), says what is wrong in a few lines on standard
error and exits non-zero: never a Python traceback. A command that raised would fail its case
here with that exception (the command line would print its traceback)."""

from __future__ import annotations

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


@pytest.mark.parametrize(("arguments", "message"), MISTAKES, ids=lambda v: " ".join(v)[:40])
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
    assert len(err.strip().splitlines()) <= 12, err
