"""Where the plumbing tables' migrations live (applied by every service at start)."""

from pathlib import Path

PLUMBING_MIGRATIONS = Path(__file__).parent / "sql"
