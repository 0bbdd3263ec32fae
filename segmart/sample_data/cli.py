"""`python -m segmart.sample_data`, and the generator options `segmart generate` / `demo` share."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from segmart.sample_data.config import OUTPUT_FORMATS, GeneratorConfig
from segmart.sample_data.generator import generate


def add_generator_options(
    parser: argparse.ArgumentParser, default_events: int | None = None
) -> None:
    """The options that make a GeneratorConfig (config_from_args), defaults from GeneratorConfig."""
    defaults = GeneratorConfig()
    parser.add_argument(
        "--events", type=int, default=default_events or defaults.events, help="good events"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--days", type=int, default=defaults.days, help="span of event time")
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, default=defaults.start, help="first day, UTC"
    )
    parser.add_argument("--format", choices=OUTPUT_FORMATS, default=defaults.output_format)
    parser.add_argument(
        "--fault-rate", type=float, default=defaults.fault_rate, help="share of faulty events"
    )


def config_from_args(args: argparse.Namespace) -> GeneratorConfig:
    config = GeneratorConfig(
        events=args.events,
        seed=args.seed,
        days=args.days,
        start=args.start,
        output_format=args.format,
        fault_rate=args.fault_rate,
    )
    config.validate()
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m segmart.sample_data",
        description="Generate deterministic Segment-spec sample events, one file per arrival day.",
    )
    add_generator_options(parser)
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    summary = generate(args.out, config)
    print(f"{args.out}: {summary.line()}")
    return 0
