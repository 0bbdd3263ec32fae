"""`segmart preview NAME`: a segment's size and sample members, computed from its registry
definition on the current warehouse (the segment's table is neither read nor written)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from segmart.compiler.models import MEMBER_COLUMNS
from segmart.compiler.sqltext import indent
from segmart.inspect.context import Inspection
from segmart.inspect.describe import amount
from segmart.inspect.queries import count_query, grain_of, member_key, members_query
from segmart.inspect.readonly import fetch
from segmart.inspect.render import AS_OF_QUERY
from segmart.warehouse import format_table


@dataclass(frozen=True)
class Preview:
    name: str
    grain: str
    as_of: datetime
    population: int
    members: int
    columns: list[str]
    sample: list[tuple]


def preview(inspection: Inspection, limit: int = 10) -> Preview:
    segment = inspection.segment
    grain = grain_of(segment)
    members = members_query(segment, inspection.registry, inspection.catalog)
    columns = ", ".join(MEMBER_COLUMNS[segment.grain])
    as_of, population, count, sample = inspection.render(
        [
            AS_OF_QUERY,
            count_query(grain),
            f"select count(*) as members from (\n{indent(members)}\n) as members",
            f"select {columns}\nfrom (\n{indent(members)}\n) as members\n"
            f"order by {member_key(grain)}\nlimit {int(limit)}",
        ]
    )
    with inspection.connect() as connection:
        names, rows = fetch(connection, sample)
        return Preview(
            name=segment.name,
            grain=segment.grain,
            as_of=fetch(connection, as_of)[1][0][0],
            population=fetch(connection, population)[1][0][0],
            members=fetch(connection, count)[1][0][0],
            columns=names,
            sample=rows,
        )


def format_preview(result: Preview) -> str:
    share = f" ({100 * result.members / result.population:.1f}%)" if result.population else ""
    lines = [
        f"{result.name}: {result.members:,} of {amount(result.population, result.grain)}{share}, "
        f"as of {result.as_of}",
    ]
    if result.sample:
        truncated = result.members > len(result.sample)
        lines += ["", format_table(result.columns, result.sample, truncated=truncated)]
    return "\n".join(lines)
