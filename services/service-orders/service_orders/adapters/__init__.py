"""PostgreSQL adapters and the service's own migrations."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
