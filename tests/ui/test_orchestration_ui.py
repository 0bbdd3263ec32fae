"""The Dagster UI, as a user sees it: the real webserver (`dagster-webserver -m
orchestration.definitions`, what scripts/ui.sh serves) on a small temporary warehouse, opened in
headless Chromium (Debian's, driven by Playwright).

- the segments' lineage graph, filtered by an owner, shows exactly that owner's segments;
- a segment's page names its owner;
- a materialization launched through the GraphQL API shows up on the segment's page (its run and
  row count) and on the runs page.

Needs /usr/bin/chromium (`apt-get install chromium`): scripts/test.sh installs it when it runs as
root or with sudo. Without it the tests skip, except in CI, where they fail."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey

from orchestration.project import PROJECT_DIR, run_target_path
from segmart.dbt_runner import environment, run_dbt
from segmart.registry import load_registry
from segmart.sample_data import GeneratorConfig, generate
from segmart.settings import Settings

from conftest import skip_unless_in_ci

LOCATION = "orchestration.definitions"  # the code location name of `-m orchestration.definitions`
AS_OF = "2026-10-04T00:00:00"  # the end of the sample days
# The flags this machine needs: no sandbox as root, and no background calls to Google's hosts
# (refused here, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000  # a page element to appear (the machine may be busy)
REGISTRY = load_registry()
# The segment the tests materialize, and its owner's segments (what the owner filter must show).
SEGMENT = next(s for s in REGISTRY if s.name == "action")
OWNED = sorted(s.name for s in REGISTRY if s.owner == SEGMENT.owner)


def chromium() -> str:
    path = os.environ.get("SEGMART_CHROMIUM") or shutil.which("chromium")
    if path:
        return path
    skip_unless_in_ci(
        "the UI tests",
        "Debian's chromium is not installed: `apt-get install chromium` (scripts/test.sh does it"
        " as root)",
    )


@dataclass
class Webserver:
    url: str
    port: int
    settings: Settings
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["data"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


def _wait_until_loaded(server: Webserver, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited:\n{server.log.read_text()[-3000:]}")
        try:
            entries = server.graphql(_LOCATIONS)["workspaceOrError"]["locationEntries"]
            if any(e["name"] == LOCATION and e["loadStatus"] == "LOADED" for e in entries):
                return
        except (OSError, KeyError, TypeError):  # not listening yet, or still loading
            pass
        time.sleep(0.5)
    pytest.fail(f"the code location did not load in {timeout} s:\n{server.log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """Dagster's webserver, code server and run workers ignore SIGINT and SIGTERM: kill the whole
    process group (the webserver was started as its leader)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def webserver(tmp_path_factory) -> Iterator[Webserver]:
    chromium()  # skip before starting anything when there is no browser
    root = tmp_path_factory.mktemp("ui")
    generate(
        root / "events", GeneratorConfig(events=1500, days=3, seed=11, start=date(2026, 10, 1))
    )
    settings = Settings(events=str(root / "events"), duckdb_path=root / "segmart.duckdb")
    home = root / "dagster_home"
    home.mkdir()
    # Runs launched from the UI or the API start at once (no daemon in this test: the queue and
    # the one-writer pool of orchestration/dagster.yaml are tested elsewhere).
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n"
        "  module: dagster._core.run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
        "telemetry:\n"
        "  enabled: false\n"
    )
    port = _free_port()
    env = {
        **os.environ,
        **settings.as_env(),
        "DAGSTER_HOME": str(home),
        "SEGMART_AS_OF": AS_OF,
        "SEGMART_ACTIVATION_DIR": str(root / "activation"),
    }
    server = Webserver(f"http://127.0.0.1:{port}", port, settings, root / "webserver.log")
    webserver_bin = Path(sys.executable).parent / "dagster-webserver"
    with server.log.open("w") as log:
        process = subprocess.Popen(
            [str(webserver_bin), "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole at the end
        )
    try:
        # While the webserver loads the definitions: build the warehouse with plain dbt, into the
        # dbt folder Dagster runs on it use (so they reuse the parse). The run the tests launch
        # then refreshes one segment only, which keeps this test short.
        with environment({"SEGMART_AS_OF": AS_OF}):
            run_dbt(["build"], settings, target_path=run_target_path(settings))
        _wait_until_loaded(server, process, timeout=180)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(run_target_path(settings), ignore_errors=True)


@pytest.fixture(scope="module")
def launched_run(webserver) -> str:
    """A materialization of one segment launched through the GraphQL API, as a script or another
    service would. It runs while the first tests look at the UI."""
    from dagster_graphql import DagsterGraphQLClient

    keys = [AssetKey(["segments", SEGMENT.name])]
    client = DagsterGraphQLClient("127.0.0.1", port_number=webserver.port)
    return client.submit_job_execution(
        "__ASSET_JOB",
        repository_location_name=LOCATION,
        repository_name="__repository__",
        asset_selection=keys,
    )


_RUN_STATE = """
query ($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status } }
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message level }
        ... on ExecutionStepUpForRetryEvent { error { message cause { message } } }
        ... on ExecutionStepFailureEvent { error { message cause { message } } }
      }
    }
  }
}"""


def _wait_for_run(webserver: Webserver, run_id: str, timeout: float = 300) -> str:
    """The run's final status. A step that fails or is retried (a dbt error, a locked file) ends
    the wait at once, with its error: the retry policy would otherwise take minutes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = webserver.graphql(_RUN_STATE, {"runId": run_id})
        status = state["runOrError"]["status"]
        events = state["logsForRun"]["events"]
        errors = [
            f"{e['error']['message']} {(e['error'].get('cause') or {}).get('message', '')}"
            for e in events
            if e.get("error")
        ] + [e["message"] for e in events if e.get("level") == "ERROR"]
        if errors or status in {"SUCCESS", "FAILURE", "CANCELED"}:
            assert not errors, f"run {run_id} ({status}):\n" + "\n".join(errors)
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def page(webserver, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        # A first visit may greet with a "Join the Dagster community" dialog, at any moment while
        # the page loads: skip it like a user whenever it stands in the way.
        page.add_locator_handler(
            page.get_by_text("Join the Dagster community"),
            lambda _: page.get_by_role("button", name="Skip").click(),
        )
        try:
            yield page
        finally:
            context.close()


def _open(page, webserver: Webserver, path: str) -> None:
    page.goto(webserver.url + path)


def _screenshot(page, tmp_path_factory, name: str) -> Path:
    path = tmp_path_factory.getbasetemp() / f"ui-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_lineage_graph_filtered_by_owner_shows_that_owners_segments(
    webserver, launched_run, page, tmp_path_factory
):
    _open(page, webserver, f"/locations/{LOCATION}/asset-groups/segments")
    # Type only once the page has settled (the community pop-up, dismissed by the handler, comes
    # up while it loads) and check the filter box holds the text: keys pressed while the page
    # still loaded were lost now and then.
    page.wait_for_load_state("networkidle")
    search = page.locator(".CodeMirror").first  # "Search and filter assets"
    search.click()
    page.keyboard.type(f'owner:"{SEGMENT.owner}"')
    search.get_by_text(SEGMENT.owner).first.wait_for()
    page.keyboard.press("Enter")
    # The filter is applied (and bookmarkable): the app changes the URL without a page load.
    page.wait_for_url(re.compile("lineage~owner"), wait_until="commit")

    graph = page.locator("body")
    for name in OWNED:
        page.get_by_text(name, exact=True).first.wait_for()
    shot = _screenshot(page, tmp_path_factory, "graph-by-owner")
    assert shot.stat().st_size > 10_000
    text = graph.inner_text()
    others = [s.name for s in REGISTRY if s.owner != SEGMENT.owner]
    shown = [name for name in others if page.get_by_text(name, exact=True).count()]
    assert not shown, f"segments of other owners in the graph: {shown}"
    assert f'owner:"{SEGMENT.owner}"' in text


def test_a_segment_page_names_its_owner(webserver, page):
    _open(page, webserver, f"/assets/segments/{SEGMENT.name}")
    owners = page.get_by_text("Owners", exact=True)
    owners.wait_for()
    definition = owners.locator("xpath=..")  # the "Owners" block of the Definition panel
    assert SEGMENT.owner in definition.inner_text()
    page.get_by_text(SEGMENT.title).first.wait_for()  # the registry's title, in the description


def test_a_materialization_launched_through_the_api_appears_in_the_ui(
    webserver, launched_run, page, tmp_path_factory
):
    assert _wait_for_run(webserver, launched_run) == "SUCCESS"
    with duckdb.connect(str(webserver.settings.duckdb_path), read_only=True) as connection:
        members = connection.execute(f"select count(*) from segments.{SEGMENT.name}").fetchone()[0]

    _open(page, webserver, f"/assets/segments/{SEGMENT.name}?view=events")
    page.get_by_text(f"Materialized in run {launched_run[:8]}").wait_for()
    events = page.locator("body").inner_text()
    assert "dagster/row_count" in events
    row_count = events.split("dagster/row_count", 1)[1].split()[0]
    assert row_count == str(members)
    _screenshot(page, tmp_path_factory, "segment-events")

    _open(page, webserver, "/runs")
    page.get_by_text(launched_run[:8]).first.wait_for()
    runs = page.locator("body").inner_text()
    row = runs.split(launched_run[:8], 1)[1]  # the run's row, and below
    assert f"segments / {SEGMENT.name}" in row and "Success" in row
    _screenshot(page, tmp_path_factory, "runs")
