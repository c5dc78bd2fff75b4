"""Adapters: PostgreSQL repositories, password hashing, and the service's migrations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
