"""Compile registry segments into dbt models (readable, lint-clean SQL)."""

from segmart.compiler.models import GeneratedFile, generated_files
from segmart.compiler.writer import check_generated, write_generated

__all__ = ["GeneratedFile", "check_generated", "generated_files", "write_generated"]
