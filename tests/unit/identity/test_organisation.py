import pytest
from identity.domain.organisation import (
    Brand,
    Staff,
    StaffRole,
    Store,
    check_password,
    normalise_username,
)
from rapport_platform.refusals import InvalidInput


def test_brand_codes_are_lower_cased_slugs() -> None:
    brand = Brand.create(" Lumiere ", "Lumière Nails")
    assert brand.code == "lumiere"
    assert brand.brand_id.startswith("brd_")


@pytest.mark.parametrize("code", ["x", "-lumiere", "lumière", "lu miere", "a" * 41])
def test_bad_brand_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Brand.create(code, "Lumière")
    assert caught.value.field == "code"


def test_store_ids_and_labels() -> None:
    store = Store.create("brd_1", "  Jing'an   flagship ", "Shanghai")
    assert store.store_id.startswith("sto_")
    assert store.name == "Jing'an flagship"
    with pytest.raises(InvalidInput) as caught:
        Store.create("brd_1", "Tianhe", " ")
    assert caught.value.field == "city"


def test_usernames_are_lower_cased() -> None:
    assert normalise_username(" WangLi ") == "wangli"
    with pytest.raises(InvalidInput):
        normalise_username("wang li")


def test_passwords_need_eight_characters() -> None:
    check_password("12345678")
    with pytest.raises(InvalidInput) as caught:
        check_password("1234567")
    assert caught.value.field == "password"


def test_hq_staff_have_no_store_and_store_staff_need_one() -> None:
    hq = Staff.create(
        brand_id="brd_1", store_id=None, role=StaffRole.HQ, display_name="HQ", username="hq"
    )
    assert hq.staff_id.startswith("stf_") and hq.invite_code is None
    with pytest.raises(InvalidInput) as with_store:
        Staff.create(
            brand_id="brd_1", store_id="sto_1", role=StaffRole.HQ, display_name="HQ", username="hq"
        )
    assert with_store.value.field == "store_id"
    with pytest.raises(InvalidInput) as without_store:
        Staff.create(
            brand_id="brd_1",
            store_id=None,
            role=StaffRole.STORE_MANAGER,
            display_name="Zhao",
            username="zhao",
        )
    assert without_store.value.field == "store_id"


def test_only_associates_carry_an_invite_code() -> None:
    with pytest.raises(ValueError):
        Staff.create(
            brand_id="brd_1",
            store_id="sto_1",
            role=StaffRole.ASSOCIATE,
            display_name="Wang Li",
            username="wangli",
        )
    with pytest.raises(ValueError):
        Staff.create(
            brand_id="brd_1",
            store_id="sto_1",
            role=StaffRole.STORE_MANAGER,
            display_name="Zhao",
            username="zhao",
            invite_code="7KQ3M9XA",
        )
