"""Adapters of the loyalty service (PostgreSQL, and their in-memory twins) and its migrations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
