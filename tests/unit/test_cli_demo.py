"""`segmart demo` on its sample: the sample is fixed in time, so segment windows ("last 7 days")
end where it ends, not at the wall clock, which would leave starter segments empty a month on.
With the user's own events, or a time they set, the demo leaves the time alone."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

import orchestration.pipeline
from segmart import cli


@pytest.fixture
def demo_run(monkeypatch):
    """Run `segmart demo` without generating or building: what SEGMART_AS_OF the Dagster run
    would see."""
    seen = {}

    def materialize_all(settings, **_):
        seen["as_of"] = os.environ.get("SEGMART_AS_OF")
        return SimpleNamespace(success=False, run_id="r", errors=[])

    monkeypatch.setattr(cli, "_compile_registry", lambda args: True)
    monkeypatch.setattr(cli, "_generate_events", lambda args, out_dir: None)
    monkeypatch.setattr(orchestration.pipeline, "materialize_all", materialize_all)
    monkeypatch.delenv("SEGMART_AS_OF", raising=False)

    def run(*args: str) -> str | None:
        cli.main(["demo", *args])
        return seen["as_of"]

    return run


def test_windows_end_where_the_sample_ends(demo_run, monkeypatch, capsys):
    monkeypatch.delenv("SEGMART_EVENTS", raising=False)
    assert demo_run() == "2026-10-31T00:00:00"  # 30 days from 2026-10-01
    assert demo_run("--start", "2025-01-01", "--days", "7") == "2025-01-08T00:00:00"
    assert "segment windows end at 2025-01-08T00:00:00, where the sample ends" in (
        capsys.readouterr().out
    )
    assert os.environ.get("SEGMART_AS_OF") is None  # only for the run


def test_a_time_the_user_set_or_their_own_events_keep_their_windows(
    demo_run, monkeypatch, tmp_path
):
    monkeypatch.delenv("SEGMART_EVENTS", raising=False)
    monkeypatch.setenv("SEGMART_AS_OF", "2026-10-15T00:00:00")
    assert demo_run() == "2026-10-15T00:00:00"
    monkeypatch.delenv("SEGMART_AS_OF")
    monkeypatch.setenv("SEGMART_EVENTS", str(tmp_path))
    assert demo_run() is None
