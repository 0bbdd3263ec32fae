"""Failures a person can act on: engine errors whose cause is a setting or another process,
said in one line that names what to change. The full error stays in logs/dbt.log."""

from __future__ import annotations

import re
from pathlib import Path

MEMORY_LIMIT_ENV = "SEGMART_DUCKDB_MEMORY_LIMIT"

# DuckDB's text when another process holds the file, e.g. 'Could not set lock on file
# "/w/segmart.duckdb": Conflicting lock is held in /usr/bin/python3.11 (PID 4242) by user root.'
_FILE_LOCK = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in '
    r"(?P<program>\S+) \(PID (?P<pid>\d+)\)"
)
_OUT_OF_MEMORY = re.compile(r"Out of Memory Error: (?P<detail>[^\n]*)")
_DISK_FULL = re.compile(r"No space left on device|could not write all bytes|disk is full", re.I)


def explain(error_text: str, warehouse: Path | None = None) -> str | None:
    """One line saying what to do about the failure described by `error_text` (of a build of
    the DuckDB file `warehouse`, when known), or None when it is not one of the failures a
    setting or another process explains."""
    if found := _FILE_LOCK.search(error_text):
        return (
            f"{found['file']} is held open by another process (pid {found['pid']}, "
            f"{found['program']}): close it and try again; readers such as BI tools and "
            "notebooks should open the serving file instead (docs/serving.md)"
        )
    if found := _OUT_OF_MEMORY.search(error_text):
        return (
            f"DuckDB ran out of memory ({found['detail'].strip()}): raise {MEMORY_LIMIT_ENV} "
            "(docs/operations.md), or free disk space for spilling beside the warehouse file"
        )
    if _DISK_FULL.search(error_text):
        if warehouse is None:
            return "the disk is full: free space where the warehouse and its spill folder live"
        return (
            f"the disk is full: free space in {warehouse.parent} (the warehouse, its spill "
            f"folder {warehouse.name}.tmp) and try again"
        )
    return None
