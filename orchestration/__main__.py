"""`python -m orchestration prepare`: compile the registry and write the manifest Dagster loads
(what loading the definitions does by itself when something changed); `clean`: remove the dbt
folders of Dagster runs."""

from __future__ import annotations

import argparse
import sys

from orchestration.project import clean_run_folders, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration")
    parser.add_argument("command", choices=("prepare", "clean"))
    parser.add_argument("--force", action="store_true", help="prepare even if up to date")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        print(f"manifest: {prepare(force=args.force)}")
    else:
        clean_run_folders()
    return 0


if __name__ == "__main__":
    sys.exit(main())
