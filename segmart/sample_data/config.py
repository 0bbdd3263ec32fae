"""What the generator is asked for (GeneratorConfig), what it reports (GenerationSummary), and
the constants the other modules share: fault kinds, event names, time units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

# jsonl.gz: JSON lines gzip-compressed as Segment's S3 destination writes them, about a tenth of
# the bytes (what makes 100M events fit on one disk).
OUTPUT_FORMATS = ("jsonl", "jsonl.gz", "parquet")

# Share of the faulty events that get each fault kind (sums to 1).
FAULT_SHARES: dict[str, float] = {
    "exact_duplicate": 0.16,
    "resent_duplicate": 0.16,
    "resent_earlier_duplicate": 0.06,
    "clock_skew": 0.14,
    "late_arrival": 0.14,
    "missing_message_id": 0.06,
    "unknown_type": 0.05,
    "missing_identity": 0.05,
    "blank_event_name": 0.05,
    "unparseable_time": 0.05,
    "future_time": 0.04,
    "invalid_json": 0.04,
}
DUPLICATE_FAULTS = ("exact_duplicate", "resent_duplicate", "resent_earlier_duplicate")

# Documented track event names (canonical spelling), for callers and tests.
FUNNEL_EVENTS = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")
LIFECYCLE_EVENTS = ("Signed Up", "Setup Completed", "Core Feature Used", "Report Exported")
FRICTION_EVENTS = ("Rage Click", "Dead Click", "JS Error", "Quick Back", "Excessive Scroll")
TRACK_EVENTS = FUNNEL_EVENTS + LIFECYCLE_EVENTS + FRICTION_EVENTS

SITE = "https://shop.example.com"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# Sessions are generated per visitor as v * 64 + k, so a visitor has at most 64 of them.
MAX_SESSIONS = 64
# A row's arrival day is at most this many days after its session started (late arrival of up
# to 5 days, plus a re-sent copy up to 2 days later, plus a session running past midnight).
MAX_ARRIVAL_LAG_DAYS = 9


def day_start_ms(day: dt.date) -> int:
    """Milliseconds since the epoch at 00:00 UTC of ``day``."""
    return int(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp() * 1000)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. ``events`` counts good events; faults are described in the module doc."""

    events: int = 100_000
    seed: int = 42
    days: int = 30
    start: dt.date = dt.date(2026, 10, 1)
    output_format: str = "jsonl"
    fault_rate: float = 0.01

    @property
    def end(self) -> dt.datetime:
        """Where the sample's event time ends (midnight UTC after its last day)."""
        return dt.datetime.combine(self.start + dt.timedelta(days=self.days), dt.time())

    @property
    def json_lines(self) -> bool:
        """Whether files are JSON lines (plain or gzip), which can hold a line cut short."""
        return self.output_format.startswith("jsonl")

    def validate(self) -> None:
        if self.events < 1:
            raise ValueError("events must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.output_format not in OUTPUT_FORMATS:
            raise ValueError(f"output_format must be one of {OUTPUT_FORMATS}")
        if not 0 <= self.fault_rate <= 0.5:
            raise ValueError("fault_rate must be between 0 and 0.5")
        if not 0 <= self.seed < 2**63:
            raise ValueError("seed must be a non-negative 64-bit integer")


@dataclass
class GenerationSummary:
    """What ``generate`` wrote: files in arrival order, row and byte counts, rows per fault kind."""

    files: list[Path]
    rows_written: int
    seconds: float
    faults: dict[str, int] = field(default_factory=dict)
    events: int = 0
    bytes_written: int = 0

    def line(self) -> str:
        faults = ", ".join(f"{kind}={count}" for kind, count in self.faults.items())
        mb = self.bytes_written / 1e6
        return (
            f"wrote {self.rows_written} rows ({self.events} events + duplicates) to "
            f"{len(self.files)} files, {mb:.1f} MB, in {self.seconds:.1f} s; faults: {faults}"
        )
