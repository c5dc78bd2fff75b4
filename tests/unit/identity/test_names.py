import pytest
from identity.domain.errors import InvalidValue
from identity.domain.names import derive_surname, normalise_name, resolve_surname


@pytest.mark.parametrize(
    ("name", "surname"),
    [
        ("梁晓雯", "梁"),
        ("陈思思", "陈"),
        ("王丽", "王"),
        ("欧阳娜娜", "欧阳"),
        ("司马相如", "司马"),
        ("欧阳", "欧"),  # two characters: surname 欧, given name 阳
        ("김민지", "김"),
        ("Xiaowen Liang", "Liang"),
        ("Zhou Min", "Min"),
        ("  Mary   Ann  Smith ", "Smith"),
        ("Madonna", "Madonna"),
        ("Chloé Dubois", "Dubois"),
    ],
)
def test_derived_surname(name: str, surname: str) -> None:
    assert derive_surname(name) == surname


def test_a_given_surname_wins_and_is_trimmed() -> None:
    assert resolve_surname("Liang Xiaowen", " Liang ") == "Liang"
    assert resolve_surname("梁晓雯", None) == "梁"
    assert resolve_surname("梁晓雯", "  ") == "梁"


def test_a_surname_longer_than_twenty_characters_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValue) as given:
        resolve_surname("Anna", "W" * 21)
    assert given.value.field == "surname"
    with pytest.raises(InvalidValue) as derived:
        resolve_surname("Anna Wolfeschlegelsteinhausen", None)
    assert derived.value.field == "surname"
    assert "give it explicitly" in derived.value.message


def test_names_are_trimmed_and_inner_whitespace_collapsed() -> None:
    assert normalise_name("  Xiaowen \t Liang ") == "Xiaowen Liang"


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_empty_or_overlong_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_name(name)
    assert caught.value.field == "name"
