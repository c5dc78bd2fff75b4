"""Every refusal the notifier raises has its answer in the error table."""

import inspect

import pytest
from notifier.domain import errors as domain_errors
from notifier.domain.errors import (
    InvalidTemplate,
    MarketingCapReached,
    NotPermitted,
    UnknownTemplate,
)
from notifier.entrypoints.errors import ERRORS
from rapport_platform.errors import Answer
from rapport_platform.refusals import OutOfScope, Refusal

REFUSALS = [
    kind
    for _, kind in inspect.getmembers(domain_errors, inspect.isclass)
    if issubclass(kind, Refusal) and kind.__module__ == domain_errors.__name__
]


@pytest.mark.parametrize("kind", REFUSALS, ids=lambda kind: kind.__name__)
def test_every_refusal_has_an_answer(kind: type[Refusal]) -> None:
    assert ERRORS.covers(kind)


@pytest.mark.parametrize(
    ("refusal", "answer"),
    [
        (InvalidTemplate("body", "must not be empty"), Answer(422, "invalid_value")),
        (NotPermitted("a associate may not change templates"), Answer(403, "forbidden")),
        (OutOfScope("brand", "brd_2"), Answer(404, "not_found")),
        (UnknownTemplate("no template 'x' for this brand"), Answer(422, "delivery_refused")),
        (MarketingCapReached("weekly marketing cap reached"), Answer(422, "delivery_refused")),
    ],
)
def test_each_refusal_answers_its_status_and_code(refusal: Refusal, answer: Answer) -> None:
    assert ERRORS.answer(refusal) == answer


def test_an_invalid_template_names_its_field() -> None:
    refusal = InvalidTemplate("body", "must not be empty")

    assert refusal.field == "body"
    assert refusal.fields == {"body": "must not be empty"}
    assert refusal.message == "body: must not be empty"
