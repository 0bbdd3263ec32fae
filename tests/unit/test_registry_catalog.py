"""The column catalog is read from the marts contract, the single source of truth."""

from __future__ import annotations

import pytest

from segmart.registry import load_catalog


def test_catalog_reads_the_marts_contract():
    catalog = load_catalog()
    assert catalog.sessions["channel"].kind == "text"
    assert catalog.sessions["page_count"].data_type == "bigint"
    assert catalog.sessions["duration_seconds"].kind == "number"
    assert catalog.sessions["is_first_visit"].kind == "boolean"
    assert catalog.users["signup_at"].kind == "timestamp"
    assert catalog.users["latest_traits"].kind == "json"
    assert "_sessionized_at" not in catalog.sessions


def test_session_grain_sees_user_columns_with_a_prefix():
    catalog = load_catalog()
    session_columns = catalog.columns("session")
    assert "user.plan" in session_columns and "plan" not in session_columns
    assert "channel" in session_columns
    assert "user.plan" not in catalog.columns("user")


def test_unsupported_type_is_an_error(tmp_path):
    path = tmp_path / "_marts.yml"
    path.write_text(
        "models:\n"
        "  - {name: sessions, columns: [{name: a, data_type: blob}]}\n"
        "  - {name: users, columns: []}\n"
    )
    with pytest.raises(ValueError, match=r"sessions\.a has unsupported type 'blob'"):
        load_catalog(path)
