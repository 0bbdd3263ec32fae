"""Funnel files (funnels/*.yml): loaded beside the segments, each problem with its exact file,
line, field and message, like a segment's."""

from __future__ import annotations

import textwrap
from pathlib import Path

from registry_support import load, problems, write_segments

from segmart.registry import Duration

HEADER = "title: T\ndescription: D.\nowner: o@example.com\n"  # lines 2-4 after `name:`


def write_funnels(root: Path, files: dict[str, str]) -> Path:
    """`files` (file name -> text after the name and header lines) into root/funnels."""
    folder = root / "funnels"
    folder.mkdir(exist_ok=True)
    for file_name, body in files.items():
        name = file_name.removesuffix(".yml").removesuffix(".yaml")
        text = f"name: {name}\n{HEADER}" + textwrap.dedent(body).lstrip("\n")
        (folder / file_name).write_text(text, encoding="utf-8")
    return folder


def segments(root: Path) -> Path:
    return write_segments(
        root,
        ("paid_search", "attribute: channel\nequals: Paid Search"),
        ("buyers", "performed: {event: order_completed}", "user"),
    )


TWO_STEPS = """
steps:
  - {name: Viewed, event: Product Viewed}
  - {name: Bought, event: [order_completed, page]}
"""


def test_funnels_load_beside_the_segments(tmp_path):
    directory = segments(tmp_path)
    write_funnels(
        tmp_path,
        {
            "every_segment.yml": TWO_STEPS,
            "one_visit.yml": """
                scope: session
                conversion_window: {hours: 2}
                segments: [buyers]
                steps:
                  - {name: Viewed, event: product_viewed}
                  - {name: Added, event: product_added, scope: user}
                  - {name: Bought, event: order_completed}
                """,
        },
    )
    registry = load(directory)
    assert list(registry.funnels) == ["every_segment", "one_visit"]
    every, one_visit = registry.funnels.values()
    # Event names are normalized as segments' are; a list is any of its events.
    assert [step.event for step in every.steps] == [
        ("product_viewed",),
        ("order_completed", "page"),
    ]
    assert [s.name for s in registry.funnel_segments(every)] == list(registry.names)
    assert [s.name for s in registry.funnel_segments(one_visit)] == ["buyers"]
    assert [one_visit.step_scope(step) for step in one_visit.steps[1:]] == ["user", "session"]
    assert every.step_scope(every.steps[1]) == "user"  # the default scope
    assert one_visit.conversion_window == Duration(hours=2)
    assert registry.funnel_files["one_visit"] == tmp_path / "funnels" / "one_visit.yml"


def test_no_funnels_folder_is_no_funnels(tmp_path):
    assert dict(load(segments(tmp_path)).funnels) == {}


def test_problems_of_a_funnel_file_alone(tmp_path):
    directory = segments(tmp_path)
    long_name = "x" * 57
    write_funnels(
        tmp_path,
        {
            "first.yml": """
                steps:
                  - {name: A, event: page, scope: session}
                  - {name: B, event: order_completed}
                """,
            "one.yml": "steps:\n  - {name: A, event: page}\n",
            "bad.yml": """
                conversion_window: {weeks: 2}
                steps:
                  - {name: A, event: [page, '--'], scope: visit}
                  - {name: B, evnt: order_completed}
                """,
            "twice.yml": """
                steps:
                  - {name: A, event: page}
                  - {name: A, event: order_completed}
                """,
            "old.yaml": TWO_STEPS,
            f"{long_name}.yml": TWO_STEPS,
        },
    )
    (tmp_path / "funnels" / "wrong.yml").write_text(f"name: right\n{HEADER}{TWO_STEPS}")
    assert problems(directory) == [
        "funnels/bad.yml:5: funnel 'bad', field 'conversion_window.weeks': unknown field "
        "'weeks' (expected one of: days, hours, minutes)",
        "funnels/bad.yml:7: funnel 'bad', field 'steps[0].event': invalid event name '--': it "
        "has no letters or digits",
        "funnels/bad.yml:7: funnel 'bad', field 'steps[0].scope': invalid value 'visit': "
        "expected one of user, session",
        "funnels/bad.yml:8: funnel 'bad', field 'steps[1].evnt': unknown field 'evnt' (did you "
        "mean 'event'?)",
        "funnels/first.yml:5: funnel 'first', field 'steps': the first step has no previous "
        "step to share a session with: remove its scope",
        "funnels/old.yaml:1: funnel 'old': funnel files end in .yml: rename it to old.yml",
        "funnels/one.yml:5: funnel 'one', field 'steps': expected at least 2 items, got 1",
        "funnels/twice.yml:5: funnel 'twice', field 'steps': step 'A' is listed twice",
        "funnels/wrong.yml:1: funnel 'right', field 'name': name 'right' does not match the "
        "file name 'wrong.yml' (the file of funnel 'right' is right.yml)",
        f"funnels/{long_name}.yml:1: funnel '{long_name}', field 'name': a funnel name has at "
        "most 56 characters (its table is funnel_<name>), got 57",
    ]


def test_problems_against_the_segments_and_the_filters(tmp_path):
    directory = segments(tmp_path)
    write_funnels(
        tmp_path,
        {
            "checked.yml": """
                segments: [buyers, paid_serach]
                steps:
                  - name: Cart
                    event: [page, screen]
                    where:
                      - {property: path, type: number, gt: 3}
                  - name: Bought
                    event: order_completed
                    where:
                      - {property: plan, type: number, equals: pro}
                      - {trait: vip, type: boolean, gt: 1}
                """,
        },
    )
    assert problems(directory) == [
        "funnels/checked.yml:5: funnel 'checked', field 'segments[1]': unknown segment "
        "'paid_serach' (did you mean 'paid_search'?)",
        # Reported once, though the step's two events each check it.
        "funnels/checked.yml:10: funnel 'checked', field 'steps[0].where[0].gt': operator 'gt' "
        "does not apply to text field 'path' (use equals, not_equals, in, not_in, contains, "
        "starts_with, ends_with, regex, is_set or is_not_set)",
        "funnels/checked.yml:10: funnel 'checked', field 'steps[0].where[0].type': page field "
        "'path' is text: remove type number",
        "funnels/checked.yml:14: funnel 'checked', field 'steps[1].where[0].equals': property "
        "'plan' is number: expected a number, got text 'pro'",
        "funnels/checked.yml:15: funnel 'checked', field 'steps[1].where[1].gt': operator 'gt' "
        "does not apply to boolean trait 'vip' (use equals, not_equals, in, not_in, is_set or "
        "is_not_set)",
    ]


def test_a_funnel_problem_does_not_hide_a_segment_problem(tmp_path):
    directory = write_segments(tmp_path, ("a", "attribute: chanel\nequals: Direct"))
    write_funnels(tmp_path, {"f.yml": "steps: []\n"})
    assert problems(directory) == [
        "funnels/f.yml:5: funnel 'f', field 'steps': expected at least 2 items, got 0",
        "segments/a.yml:10: segment 'a', field 'where.attribute': unknown column 'chanel' for "
        "session grain (did you mean 'channel'?)",
    ]
