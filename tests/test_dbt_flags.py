"""dbt's project-wide flags (dbt_project.yml `flags:`): what every dbt run of segmart does."""

from __future__ import annotations

import pytest
from dbt import tracking

from segmart.dbt_runner import run_dbt

pytestmark = pytest.mark.duckdb


def test_dbt_sends_no_usage_statistics_unless_a_user_opts_in(tmp_path, monkeypatch):
    monkeypatch.delenv("DBT_SEND_ANONYMOUS_USAGE_STATS", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    run_dbt(["parse", "--log-path", str(tmp_path)], target_path=tmp_path / "target")
    assert tracking.active_user is not None
    assert tracking.active_user.do_not_track


def test_the_log_file_has_no_colour_codes(tmp_path):
    run_dbt(["parse", "--log-path", str(tmp_path)], target_path=tmp_path / "target")
    log = (tmp_path / "dbt.log").read_text()
    assert "Running with dbt=" in log
    assert "\x1b[" not in log
