"""Analyst commands on the current warehouse, without materializing anything: `segmart preview`
(a segment's size and sample members), `segmart explain` (how many members each condition keeps)
and `segmart diff` (an edited definition against the segment's current table).

dbt only renders the SQL (refs, macros, as_of; segmart.inspect.render) and segmart runs it on a
read-only DuckDB connection (segmart.inspect.readonly), so nothing takes the warehouse's write lock.
"""

from segmart.inspect.readonly import InspectError

__all__ = ["InspectError"]
