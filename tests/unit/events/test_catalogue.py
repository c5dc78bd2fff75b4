from pathlib import Path

from rapport_events.catalogue import example_record, main, render
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


def test_every_example_names_one_brand_in_its_header_and_its_data() -> None:
    for model in registry:
        record = example_record(model)
        assert record["headers"]["ce_brandid"] == record["value"]["brand_id"], model.event_type
        assert record["key"] == record["value"][model.subject_field]


def test_example_ids_have_the_shape_the_services_make() -> None:
    for model in registry:
        for name, value in example_record(model)["value"].items():
            if name.endswith("_id"):
                prefix, _, digits = value.partition("_")
                assert len(prefix) == 3 and len(digits) == 32, (model.event_type, name, value)
                int(digits, 16)
