"""dbt's project-wide flags (dbt_project.yml `flags:`): what every dbt run of segmart does."""

from __future__ import annotations

import subprocess
import sys

import duckdb
from dbt import deprecations, tracking

from segmart.dbt_runner import run_dbt
from segmart.settings import Settings


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


def test_a_command_reports_only_its_own_deprecations(tmp_path):
    # As if an earlier command in this process had met one: dbt keeps the count in a global.
    deprecations.active_deprecations["property-moved-to-config-deprecation"] += 1
    run_dbt(["parse", "--log-path", str(tmp_path)], target_path=tmp_path / "target")
    assert "DeprecationsSummary" not in (tmp_path / "dbt.log").read_text()


def test_a_dbt_command_leaves_the_duckdb_file_free(tmp_path):
    # dbt-duckdb keeps its database open in the process that ran dbt; segmart closes it, so the
    # same process can read the file and another process can write it.
    warehouse = tmp_path / "warehouse.duckdb"
    settings = Settings(events=str(tmp_path / "events"), duckdb_path=warehouse)
    run_dbt(["seed", "--log-path", str(tmp_path)], settings, target_path=tmp_path / "target")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        hosts = "select count(*) from reference.channel_referrer_hosts"
        assert connection.execute(hosts).fetchone()[0] > 0
    writer = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('create table t (x int)')"
    other = subprocess.run([sys.executable, "-c", writer, str(warehouse)], capture_output=True)
    assert other.returncode == 0, other.stderr
