"""Adapters of the notifier (PostgreSQL, their in-memory twins, the local channel) and its
migrations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
