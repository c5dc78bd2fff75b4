from pathlib import Path

from rapport_events.catalogue import main, render
from rapport_events.registry import registry

DOCS = Path(__file__).parents[3] / "docs" / "events"


def test_the_committed_catalogue_matches_the_contracts() -> None:
    assert main(["--check", "--out", str(DOCS)]) == 0


def test_every_contract_has_a_schema_and_an_example() -> None:
    files = render()
    for model in registry:
        assert f"schemas/{model.event_type}.v{model.event_version}.json" in files
        assert f"## {model.event_type}" in files["README.md"]


def test_check_reports_a_stale_catalogue(tmp_path: Path) -> None:
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0
