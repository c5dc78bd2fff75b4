import random

import pytest
from identity.domain.errors import InvalidInviteCode
from identity.domain.invite_codes import ALPHABET, LENGTH, new_invite_code, parse_invite_code
from identity.entrypoints.errors import ERRORS


def test_the_alphabet_leaves_out_characters_that_read_alike() -> None:
    for ambiguous in "0O1I":
        assert ambiguous not in ALPHABET
    assert len(set(ALPHABET)) == len(ALPHABET) == 32


def test_codes_are_eight_characters_of_the_alphabet() -> None:
    source = random.Random(7)
    codes = {new_invite_code(source.randrange) for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == LENGTH == 8
        assert set(code) <= set(ALPHABET)


def test_codes_come_from_the_injected_random_source() -> None:
    assert new_invite_code(lambda n: 0) == "22222222"
    assert new_invite_code(lambda n: n - 1) == "ZZZZZZZZ"
    assert new_invite_code(random.Random(1).randrange) == new_invite_code(
        random.Random(1).randrange
    )


def test_every_character_can_be_drawn() -> None:
    draws = iter(range(len(ALPHABET)))
    seen = "".join(new_invite_code(lambda n: next(draws, 0)) for _ in range(4))
    assert set(ALPHABET) <= set(seen)


@pytest.mark.parametrize("typed", ["7kq3m9xa", "7KQ3-M9XA", " 7KQ3 M9XA "])
def test_typed_codes_are_read_case_and_separator_insensitively(typed: str) -> None:
    assert parse_invite_code(typed) == "7KQ3M9XA"


@pytest.mark.parametrize("typed", ["7KQ3M9X", "7KQ3M9XAB", "7KQ3M9X0", "7KQ3M9XO", "ABCD1234", ""])
def test_malformed_codes_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInviteCode) as caught:
        parse_invite_code(typed)
    assert caught.value.field == "invite_code"
    assert list(caught.value.fields) == ["invite_code"]
    assert ERRORS.answer(caught.value).status == 422
