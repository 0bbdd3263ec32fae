"""Dagster orchestration of segmart: dbt assets, checks, schedules and sensors.

The one `Definitions` object is `orchestration.definitions.defs`.
"""
