"""What `segmart build` shows while dbt works (segmart/progress.py), from dbt's own events: plain
lines where the output is a log, one line redrawn in place on a terminal; then a summary with
every warning."""

from __future__ import annotations

import io
from types import SimpleNamespace

from segmart.progress import BuildProgress, build_summary


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def event(kind: str, level: str = "info", msg: str = "", **data) -> SimpleNamespace:
    """A dbt event as dbtRunner callbacks get it: info.name (the event's class), info.level,
    info.msg, and its data."""
    if "unique_id" in data:
        data["node_info"] = SimpleNamespace(unique_id=data.pop("unique_id"))
    return SimpleNamespace(
        info=SimpleNamespace(name=kind, level=level, msg=msg), data=SimpleNamespace(**data)
    )


def run(progress: BuildProgress) -> None:
    for item in (
        event(
            "LogStartLine", unique_id="m1", description="sql table model marts.sessions", total=4
        ),
        event(
            "LogModelResult",
            unique_id="m1",
            description="sql table model marts.sessions",
            status="OK",
            execution_time=2.5,
            total=4,
        ),
        event("LogStartLine", unique_id="s1", description="seed file reference.x", total=4),
        event(
            "LogSeedResult",
            unique_id="s1",
            schema="reference",
            relation="x",
            status="INSERT 2",
            execution_time=0.3,
            total=4,
        ),
        event("LogStartLine", unique_id="t1", description="test not_null_x", total=4),
        event(
            "LogTestResult",
            unique_id="t1",
            name="not_null_x",
            status="pass",
            execution_time=0.1,
            num_models=4,
        ),
        event("LogStartLine", unique_id="t2", description="test few_rows", total=4),
        event(
            "LogTestResult",
            unique_id="t2",
            name="few_rows",
            status="warn",
            execution_time=0.2,
            num_models=4,
        ),
        event("JinjaLogWarning", level="warn", msg="segmart: skipped 1 file(s)\n  at x"),
        event("SomethingElse", level="debug", msg="not shown"),
    ):
        progress(item)
    progress.close()


def clock(times: list[float]):
    return lambda: times.pop(0) if len(times) > 1 else times[0]


def test_in_a_log_a_line_per_model_and_per_test_that_did_not_pass():
    stream = io.StringIO()
    progress = BuildProgress(stream=stream, clock=clock([0.0, 3.0, 4.0, 65.0]))
    run(progress)
    assert stream.getvalue().splitlines() == [
        "[1/4] OK sql table model marts.sessions (2.5 s, 0m03s in all)",
        "[2/4] INSERT 2 seed reference.x (0.3 s, 0m04s in all)",
        "[4/4] WARN test few_rows (0.2 s, 1m05s in all)",
    ]
    assert progress.warnings == ["segmart: skipped 1 file(s) at x"]


def test_on_a_terminal_one_line_redrawn_with_a_bar():
    stream = Terminal()
    run(BuildProgress(stream=stream, clock=clock([0.0])))
    drawn = stream.getvalue()
    assert drawn[-1] == "\n" and drawn.count("\n") == 1  # ended once, at close
    frames = [frame.rstrip() for frame in drawn.strip().split("\r") if frame]
    assert frames[0] == "[........................] 0/4 0m00s sql table model marts.sessions"
    assert frames[-1] == "[########################] 4/4 0m00s"


def test_the_summary_counts_what_dbt_ran_and_lists_every_warning():
    results = [
        SimpleNamespace(
            node=SimpleNamespace(resource_type=kind, name=name), status=status, message=message
        )
        for kind, name, status, message in (
            ("model", "sessions", "success", None),
            ("seed", "aliases", "success", None),
            ("test", "not_null_x", "pass", None),
            ("unit_test", "unit_x", "pass", None),
            ("test", "few_rows", "warn", "Got 3 results, configured to warn if != 0"),
            ("operation", "on-run-start", "success", None),
            ("exposure", "dashboard", "success", None),
        )
    ]
    progress = BuildProgress(stream=io.StringIO(), clock=clock([0.0, 75.0]))
    progress.warnings.append("segmart: skipped 1 file(s) at x")
    lines = build_summary(SimpleNamespace(result=SimpleNamespace(results=results)), progress, "L")
    assert lines == [
        "dbt: 1 models, 1 seeds, 3 tests in 1m15s; its whole log: L",
        "warning: test few_rows warned: Got 3 results, configured to warn if != 0",
        "warning: segmart: skipped 1 file(s) at x",
    ]
