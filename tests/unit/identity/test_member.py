from datetime import UTC, date, datetime, timedelta

import pytest
from identity.domain.errors import AlreadyBound, InvalidBirthday, InvalidPhone
from identity.domain.member import Member, check_birthday, normalise_name, normalise_surname
from identity.domain.organisation import Staff, StaffRole
from identity.entrypoints.errors import ERRORS
from rapport_events.contracts.identity import MemberBoundToAssociate, MemberRegistered
from rapport_platform.refusals import InvalidInput

NOW = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def associate(brand_id: str = "brd_1", code: str = "7KQ3M9XA") -> Staff:
    return Staff.create(
        brand_id=brand_id,
        store_id="sto_1",
        role=StaffRole.ASSOCIATE,
        display_name="Wang Li",
        username="wangli",
        invite_code=code,
    )


def register(**overrides: object) -> tuple[Member, MemberRegistered]:
    fields: dict[str, object] = {
        "brand_id": "brd_1",
        "store_id": "sto_1",
        "name": "梁晓雯",
        "surname": "梁",
        "phone": "138 1234 5678",
        "gender": "female",
        "birthday": date(1992, 5, 17),
        "preferred_channel": "wechat",
        "now": NOW,
    }
    fields.update(overrides)
    return Member.register(**fields)  # type: ignore[arg-type]


def test_registration_normalises_and_announces_without_phone_or_full_name() -> None:
    member, event = register()

    assert member.member_id.startswith("mbr_") and len(member.member_id) == 4 + 32
    assert member.phone == "+8613812345678"
    assert member.surname == "梁"
    assert member.registered_at == NOW
    assert member.associate_id is None
    assert event == MemberRegistered(
        member_id=member.member_id,
        brand_id="brd_1",
        store_id="sto_1",
        surname="梁",
        gender="female",
        birthday=date(1992, 5, 17),
        preferred_channel="wechat",
        registered_at=NOW,
    )
    assert "phone" not in event.model_dump() and "name" not in event.model_dump()


def test_a_bad_phone_stops_registration() -> None:
    with pytest.raises(InvalidPhone):
        register(phone="021-6234-5678")


def test_birthday_today_is_accepted_in_china_time() -> None:
    # 17:00 UTC on 1 March is already 2 March in Beijing.
    late = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert check_birthday(date(2026, 3, 2), late) == date(2026, 3, 2)


def test_birthday_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidBirthday) as caught:
        check_birthday(date(2026, 3, 2), NOW)
    assert caught.value.field == "birthday"
    assert list(caught.value.fields) == ["birthday"]
    assert "future" in caught.value.message
    assert "2026-03-01" in caught.value.message


def test_the_future_is_measured_on_the_clock_given() -> None:
    later = NOW + timedelta(days=400)
    assert check_birthday(date(2027, 1, 1), later) == date(2027, 1, 1)


def test_birthdays_before_1900_are_refused_and_1900_is_fine() -> None:
    assert check_birthday(date(1900, 1, 1), NOW) == date(1900, 1, 1)
    with pytest.raises(InvalidBirthday) as caught:
        check_birthday(date(1899, 12, 31), NOW)
    assert "1900-01-01" in caught.value.message


def test_no_birthday_is_fine() -> None:
    member, event = register(birthday=None)
    assert member.birthday is None and event.birthday is None


def test_binding_to_an_associate_announces_it() -> None:
    member, _ = register()
    wang = associate()

    event = member.bind_to(wang, NOW)

    assert member.associate_id == wang.staff_id
    assert member.bound_at == NOW
    assert event == MemberBoundToAssociate(
        member_id=member.member_id,
        brand_id="brd_1",
        store_id="sto_1",
        associate_id=wang.staff_id,
        previous_associate_id=None,
        via="invite_code",
        bound_at=NOW,
    )


def test_binding_again_to_the_same_associate_changes_nothing() -> None:
    member, _ = register()
    wang = associate()
    member.bind_to(wang, NOW)

    assert member.bind_to(wang, NOW + timedelta(days=1)) is None
    assert member.bound_at == NOW


def test_binding_to_another_associate_is_a_conflict() -> None:
    member, _ = register()
    wang, chen = associate(), associate(code="8LR4N2YB")
    member.bind_to(wang, NOW)

    with pytest.raises(AlreadyBound) as caught:
        member.bind_to(chen, NOW)
    assert ERRORS.answer(caught.value).status == 409
    assert wang.staff_id in caught.value.message and "hand-over" in caught.value.message
    assert member.associate_id == wang.staff_id


def test_an_associate_of_another_brand_cannot_be_bound() -> None:
    member, _ = register()
    with pytest.raises(InvalidInput) as caught:
        member.bind_to(associate(brand_id="brd_2"), NOW)
    assert "another brand" in caught.value.message
    assert member.associate_id is None


def test_only_associates_can_be_bound() -> None:
    member, _ = register()
    manager = Staff.create(
        brand_id="brd_1",
        store_id="sto_1",
        role=StaffRole.STORE_MANAGER,
        display_name="Zhao Min",
        username="zhaomin",
    )
    with pytest.raises(InvalidInput):
        member.bind_to(manager, NOW)


def test_names_are_trimmed_and_inner_whitespace_collapsed() -> None:
    assert normalise_name("  Xiaowen \t Liang ") == "Xiaowen Liang"
    assert normalise_surname(" Liang ") == "Liang"


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_empty_or_overlong_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_name(name)
    assert caught.value.field == "name"


@pytest.mark.parametrize("surname", ["", "  ", "W" * 21])
def test_an_empty_or_overlong_surname_is_refused_naming_the_field(surname: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        register(surname=surname)
    assert caught.value.field == "surname"


def test_the_surname_given_is_the_one_announced() -> None:
    member, event = register(name="Zhou Min", surname="Zhou")
    assert member.surname == event.surname == "Zhou"
