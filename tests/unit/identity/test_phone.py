import pytest
from identity.domain.errors import InvalidPhone
from identity.domain.phone import national_number, normalise_phone
from identity.entrypoints.errors import ERRORS


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86-138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "008613812345678",
        "(+86) 138.1234.5678",
        "  13812345678  ",
        "１３８１２３４５６７８",  # full-width digits from a Chinese input method
        "＋86 138 1234 5678",
    ],
)
def test_accepted_forms_normalise_to_plus_86_and_eleven_digits(raw: str) -> None:
    assert normalise_phone(raw) == "+8613812345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # second digit 2 is not a mobile range
        "23812345678",  # does not start with 1
        "+85213812345678",  # Hong Kong prefix
        "+1 415 555 0100",
        "86138123456",  # 86 followed by too few digits
        "021-6234-5678",  # a Shanghai landline
        "138 1234 567a",
        "+86+8613812345678",
    ],
)
def test_anything_else_is_refused_with_the_expected_form(raw: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone(raw)
    assert ERRORS.answer(caught.value).status == 422
    assert caught.value.field == "phone"
    assert list(caught.value.fields) == ["phone"]
    assert "mainland China mobile" in caught.value.message
    assert "+86" in caught.value.message


def test_eleven_digits_starting_with_86_are_a_national_number_not_a_prefix() -> None:
    # 86xxxxxxxxx with 11 digits in total is not a mobile either way, and never loses digits.
    with pytest.raises(InvalidPhone):
        normalise_phone("86123456789")


def test_national_number() -> None:
    assert national_number("+8613812345678") == "13812345678"
