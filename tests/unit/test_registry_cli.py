"""`segmart validate`, `segmart list` and `segmart schema`."""

from __future__ import annotations

from registry_support import write_segments

from segmart.cli import main


def test_validate_ok(tmp_path, capsys):
    directory = write_segments(
        tmp_path,
        ("direct", "attribute: channel\nequals: Direct"),
        ("buyers", "performed: {event: order_completed}", "user"),
    )
    assert main(["validate", "--segments", str(directory)]) == 0
    assert capsys.readouterr().out == "2 segments OK\n"


def test_validate_prints_every_problem(tmp_path, capsys):
    directory = write_segments(
        tmp_path,
        ("a", "attribute: chanel\nequals: Direct"),
        ("b", "in_segment: nowhere"),
    )
    assert main(["validate", "--segments", str(directory)]) == 1
    captured = capsys.readouterr()
    assert captured.out == (
        "segments/a.yml:10: segment 'a', field 'where.attribute': unknown column 'chanel' for "
        "session grain (did you mean 'channel'?)\n"
        "segments/b.yml:10: segment 'b', field 'where.in_segment': unknown segment 'nowhere'\n"
    )
    assert captured.err == "2 problems\n"


def test_validate_the_project_registry(capsys):
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "33 segments, 2 funnels OK\n"


def test_list(tmp_path, capsys):
    directory = write_segments(
        tmp_path,
        ("direct", "attribute: channel\nequals: Direct"),
        ("buyers", "performed: {event: order_completed}", "user"),
    )
    assert main(["list", "--segments", str(directory)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "name    grain    refresh  owner              visibility  tags  title",
        "buyers  user     daily    tests@example.com  public            buyers title",
        "direct  session  daily    tests@example.com  public            direct title",
    ]


def test_missing_segments_folder(tmp_path, capsys):
    assert main(["validate", "--segments", str(tmp_path / "nowhere")]) == 1
    assert "no segments directory" in capsys.readouterr().err


def test_schema_write_and_check(tmp_path, capsys):
    out = tmp_path / "schemas"
    assert main(["schema", "--check", "--out", str(out)]) == 1
    assert main(["schema", "--out", str(out)]) == 0
    assert main(["schema", "--check", "--out", str(out)]) == 0
    assert main(["schema", "--check"]) == 0
    output = capsys.readouterr()
    assert f"wrote {out}" in output.out
    assert "is out of date" in output.err
