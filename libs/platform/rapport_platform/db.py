"""PostgreSQL: connection pools, creating a service's database, and schema migrations.

Migrations are plain ``NNN_name.sql`` files. :func:`migrate` applies the files of each
directory in name order, each once and in its own transaction, and remembers a checksum so
that editing an applied file is caught instead of silently diverging between databases.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^\d{3,}_[A-Za-z0-9_.-]+\.sql$")

# One constant key: advisory locks are per database, and each service owns its database.
_MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"rapport.migrate").digest()[:8], "big", signed=True
)

_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component   text        NOT NULL,
    filename    text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, filename)
)
"""


class MigrationError(RuntimeError):
    pass


async def _init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections exchange ``json``/``jsonb`` values as Python objects."""
    return await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection
    )


def database_name(dsn: str) -> str:
    name = unquote(urlsplit(dsn).path.lstrip("/"))
    if not name:
        raise ValueError(f"the database URL names no database: {_without_password(dsn)}")
    return name


def _without_password(dsn: str) -> str:
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(dsn: str) -> None:
    """Create the database the DSN names unless it exists (safe when services race)."""
    name = database_name(dsn)
    maintenance = urlunsplit(urlsplit(dsn)._replace(path="/postgres"))
    connection = await asyncpg.connect(maintenance)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return
        try:
            await connection.execute(f"CREATE DATABASE {_quote_identifier(name)}")
            log.info("created database %s", name)
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            # Another process created it between our check and our CREATE.
            pass
    finally:
        await connection.close()


@dataclass(frozen=True)
class Migration:
    filename: str
    sql: str
    checksum: str


def discover(*directories: Path) -> list[Migration]:
    """The migrations of the directories, in directory order then file-name order."""
    found: list[Migration] = []
    seen: dict[str, Path] = {}
    for directory in directories:
        if not directory.is_dir():
            raise MigrationError(f"migration directory {directory} does not exist")
        for path in sorted(directory.glob("*.sql")):
            if not MIGRATION_NAME.match(path.name):
                raise MigrationError(f"{path}: migration files must be named NNN_description.sql")
            if path.name in seen:
                raise MigrationError(
                    f"{path.name} exists in both {seen[path.name]} and {directory}; "
                    "migration file names must be unique within a component"
                )
            seen[path.name] = directory
            content = path.read_bytes()
            found.append(
                Migration(
                    filename=path.name,
                    sql=content.decode(),
                    checksum=hashlib.sha256(content).hexdigest(),
                )
            )
    return found


async def migrate(pool: asyncpg.Pool, *directories: Path, component: str) -> list[str]:
    """Apply pending migrations; returns the file names applied by this call.

    Processes starting together serialise on an advisory lock, so each file runs once.
    """
    migrations = discover(*directories)
    async with pool.acquire() as connection:
        await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
        try:
            await connection.execute(_SCHEMA_MIGRATIONS)
            rows = await connection.fetch(
                "SELECT filename, checksum FROM schema_migrations WHERE component = $1",
                component,
            )
            applied: dict[str, str] = {row["filename"]: row["checksum"] for row in rows}
            for migration in migrations:
                recorded = applied.get(migration.filename)
                if recorded is not None and recorded != migration.checksum:
                    raise MigrationError(
                        f"{migration.filename} was changed after it was applied to "
                        f"{component}; add a new migration instead of editing it"
                    )
            done: list[str] = []
            for migration in migrations:
                if migration.filename in applied:
                    continue
                async with connection.transaction():
                    try:
                        await connection.execute(migration.sql)
                    except asyncpg.PostgresError as error:
                        raise MigrationError(f"{migration.filename} failed: {error}") from error
                    await connection.execute(
                        "INSERT INTO schema_migrations (component, filename, checksum)"
                        " VALUES ($1, $2, $3)",
                        component,
                        migration.filename,
                        migration.checksum,
                    )
                log.info("applied migration %s to %s", migration.filename, component)
                done.append(migration.filename)
            return done
        finally:
            if not connection.is_closed():
                await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
