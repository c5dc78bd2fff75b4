"""Every refusal the service raises has its answer in the error table."""

import inspect

import pytest
from rapport_platform.errors import Answer
from rapport_platform.refusals import Refusal
from service_orders.application import errors as application_errors
from service_orders.application.errors import IdempotencyKeyReused, OutsideStore
from service_orders.domain import errors as domain_errors
from service_orders.domain.errors import (
    AppointmentNotFound,
    InvalidField,
    PurchaseNotFound,
    TransitionRefused,
)
from service_orders.entrypoints.errors import ERRORS

REFUSALS = [
    kind
    for module in (domain_errors, application_errors)
    for _, kind in inspect.getmembers(module, inspect.isclass)
    if issubclass(kind, Refusal) and kind.__module__ == module.__name__
]


@pytest.mark.parametrize("kind", REFUSALS, ids=lambda kind: kind.__name__)
def test_every_refusal_has_an_answer(kind: type[Refusal]) -> None:
    assert ERRORS.covers(kind)


@pytest.mark.parametrize(
    ("refusal", "answer"),
    [
        (InvalidField("amount", "amount must be 0 or more"), Answer(422, "invalid_field")),
        (AppointmentNotFound("apt_1"), Answer(404, "not_found")),
        (PurchaseNotFound("pur_1"), Answer(404, "not_found")),
        (OutsideStore("sto_2"), Answer(404, "not_found")),
        (
            TransitionRefused("appointment apt_1 is already completed"),
            Answer(409, "invalid_transition"),
        ),
        (IdempotencyKeyReused(), Answer(422, "idempotency_key_reused")),
    ],
)
def test_each_refusal_answers_its_status_and_code(refusal: Refusal, answer: Answer) -> None:
    assert ERRORS.answer(refusal) == answer


def test_an_invalid_field_names_itself_once() -> None:
    refusal = InvalidField("amount", "amount must be 0 or more")

    assert str(refusal) == refusal.message == "amount must be 0 or more"
    assert refusal.fields == {"amount": "amount must be 0 or more"}
