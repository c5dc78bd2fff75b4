"""Adapters of the service-orders ports (PostgreSQL, in memory) and the service's migrations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
