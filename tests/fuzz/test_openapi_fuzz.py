"""Every operation of every service, with requests generated from its OpenAPI document.

Schemathesis runs its examples, coverage and fuzzing phases (valid and invalid inputs)
against each service's real app as the HQ of the seeded brand. Generated ids rarely exist,
so each id-named input is, as often as not, one the seeding created, which lets requests
reach past the 404s. A run fails on a 5xx, a status the operation does not document, a
body that breaks its documented schema or a content type it does not document.

``RAPPORT_FUZZ_EXAMPLES`` raises the number of generated cases per operation for a longer
local run; ``RAPPORT_FUZZ_SEED`` picks another, equally reproducible, sequence.

(Schemathesis's own pytest integration needs pytest internals that pytest 9.2 no longer
has, so the run goes through its engine, the one its command line drives.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.hooks import HookContext
from schemathesis.schemas import BaseSchema

from tests.fuzz.seeded_platform import PACKAGES, Platform, SeededBrand

MAX_EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "30"))
SEED = int(os.environ.get("RAPPORT_FUZZ_SEED", "6"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
REFERENCES = {
    "member_id": "mbr",
    "store_id": "sto",
    "associate_id": "stf",
    "served_by": "stf",
    "appointment_id": "apt",
    "purchase_id": "pur",
    "brand_id": "brd",
}
"""Inputs that name something, and the prefix of the seeded ids they may be given."""


def fuzz_config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            # FastAPI documents no links, so there is nothing to chain statefully.
            "phases": {"stateful": {"enabled": False}},
        }
    )


def or_seeded(values: Any, brand: SeededBrand) -> st.SearchStrategy[Any]:
    """``values``, or the same with some id-named inputs replaced by seeded ids."""
    if not isinstance(values, dict):
        return st.just(values)
    choices = {
        name: st.sampled_from([value, *brand.ids[REFERENCES[name]]])
        for name, value in values.items()
        if name in REFERENCES and brand.ids.get(REFERENCES[name])
    }
    if not choices:
        return st.just(values)
    return st.fixed_dictionaries(choices).map(lambda picked: {**values, **picked})


def seeded_references(schema: BaseSchema, brand: SeededBrand) -> None:
    def seeded(_: HookContext, values: Any) -> st.SearchStrategy[Any]:
        return or_seeded(values, brand)

    for hook in ("flatmap_path_parameters", "flatmap_query", "flatmap_body"):
        schema.hook(hook)(seeded)


Finding = tuple[str, str, str]
"""Operation, check and kind of failure: what one finding is about."""


def failed_checks(recorder: ScenarioRecorder) -> Iterator[tuple[Finding, str]]:
    """Each failed check of one operation's scenario, with its message and a curl line."""
    for checks in recorder.checks.values():
        for check in checks:
            info = check.failure_info
            if info is not None:
                key = (recorder.label, check.name, info.failure.title)
                yield key, f"{info.failure.message}\n{info.code_sample}"


def findings(schema: BaseSchema) -> list[str]:
    """What the engine found, one entry per operation, check and kind of failure."""
    found: dict[Finding, str] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            found[(event.label, "error", str(event.value))] = event.info.format()
        if isinstance(event, events.ScenarioFinished):
            for key, text in failed_checks(event.recorder):
                found.setdefault(key, text)
    return [f"{label} [{check}] {title}: {text}" for (label, check, title), text in found.items()]


# Raised inside schemathesis's own strategies, about its use of `random`: nothing of ours.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize("package", PACKAGES)
def test_every_operation_answers_as_documented(platform: Platform, package: str) -> None:
    service = platform.services[package]
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", service.app, config=fuzz_config(platform.brand.hq_token)
    )
    seeded_references(schema, platform.brand)

    found = findings(schema)

    assert not found, f"{len(found)} findings in {package}:\n\n" + "\n\n".join(found)
