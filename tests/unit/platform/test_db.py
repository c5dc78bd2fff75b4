from pathlib import Path

import pytest
from rapport_platform.db import MigrationError, _without_password, database_name, discover


def write(directory: Path, name: str, sql: str = "SELECT 1;") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(sql)


def test_migrations_run_directory_by_directory_in_name_order(tmp_path: Path) -> None:
    write(tmp_path / "plumbing", "002_outbox.sql")
    write(tmp_path / "plumbing", "001_store.sql")
    write(tmp_path / "service", "001_members.sql")
    write(tmp_path / "service", "010_bindings.sql")
    write(tmp_path / "service", "002_stores.sql")
    found = discover(tmp_path / "plumbing", tmp_path / "service")
    assert [m.filename for m in found] == [
        "001_store.sql",
        "002_outbox.sql",
        "001_members.sql",
        "002_stores.sql",
        "010_bindings.sql",
    ]


def test_the_checksum_follows_the_content(tmp_path: Path) -> None:
    write(tmp_path, "001_a.sql", "CREATE TABLE a ();")
    before = discover(tmp_path)[0].checksum
    write(tmp_path, "001_a.sql", "CREATE TABLE a (id int);")
    assert discover(tmp_path)[0].checksum != before


def test_a_misnamed_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "members.sql")
    with pytest.raises(MigrationError, match=r"NNN_description\.sql"):
        discover(tmp_path)


def test_a_file_name_used_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "a", "001_init.sql")
    write(tmp_path / "b", "001_init.sql")
    with pytest.raises(MigrationError, match=r"001_init\.sql exists in both"):
        discover(tmp_path / "a", tmp_path / "b")


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        discover(tmp_path / "nowhere")


def test_the_database_name_comes_from_the_dsn() -> None:
    assert database_name("postgresql://u:p@h:5432/rapport_loyalty?sslmode=disable") == (
        "rapport_loyalty"
    )
    with pytest.raises(ValueError, match="names no database"):
        database_name("postgresql://u:secret@h:5432")


def test_passwords_are_hidden_in_messages() -> None:
    assert _without_password("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"
