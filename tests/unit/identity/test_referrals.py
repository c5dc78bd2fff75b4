"""A member registering names the member who referred her: ReferralMade, the referrer's."""

import pytest
from identity.application.commands import RegisterMember
from identity.domain.errors import UnknownReference
from identity.domain.member import Member
from rapport_events.contracts.identity import MemberRegistered, ReferralMade
from rapport_events.registry import registry
from rapport_platform.refusals import InvalidInput

from tests.unit.identity.world import NOW, World, new_world

REFERRAL = ReferralMade.event_type


@pytest.fixture
async def world() -> World:
    world = new_world()
    await world.brand()
    return world


def newcomer(brand_id: str = "brd_1", store_id: str = "sto_1") -> Member:
    member, _ = Member.register(
        brand_id=brand_id,
        store_id=store_id,
        name="Zhou Min",
        surname="Zhou",
        phone="139 0000 1111",
        gender="female",
        birthday=None,
        preferred_channel="sms",
        now=NOW,
    )
    return member


def test_a_referral_is_the_referrers_and_names_the_newcomers_store() -> None:
    referrer, joining = newcomer(store_id="sto_first"), newcomer(store_id="sto_second")

    event = joining.referred_by_member(referrer, NOW)

    assert joining.referred_by == referrer.member_id
    assert event == ReferralMade(
        member_id=referrer.member_id,
        newcomer_id=joining.member_id,
        brand_id="brd_1",
        store_id="sto_second",
        referred_at=NOW,
    )
    assert event.subject() == referrer.member_id


def test_a_referrer_of_another_brand_or_nobody_is_an_unknown_reference() -> None:
    joining = newcomer()

    for referrer in (None, newcomer(brand_id="brd_2")):
        with pytest.raises(UnknownReference) as refused:
            joining.referred_by_member(referrer, NOW)
        assert refused.value.field == "referred_by"
    assert joining.referred_by is None


def test_a_member_cannot_refer_herself() -> None:
    joining = newcomer()

    with pytest.raises(InvalidInput) as refused:
        joining.referred_by_member(joining, NOW)
    assert refused.value.field == "referred_by"


async def register(world: World, phone: str, referred_by: str | None = None) -> Member:
    store = await world.store()
    return await world.handlers.register_member(
        RegisterMember(
            actor=world.hq_actor,
            store_id=store.store_id,
            name="梁晓雯",
            surname="梁",
            phone=phone,
            referred_by=referred_by,
        )
    )


async def test_registering_with_a_referrer_announces_the_referral(world: World) -> None:
    referrer = await register(world, "138 0000 1111")

    joined = await register(world, "138 0000 2222", referred_by=referrer.member_id)

    assert world.tables.members[joined.member_id].referred_by == referrer.member_id
    registered, referral = world.database.published()[-2:]
    assert registered.type == MemberRegistered.event_type
    assert referral.type == REFERRAL
    assert referral.subject == referrer.member_id
    assert registry.decode(referral) == ReferralMade(
        member_id=referrer.member_id,
        newcomer_id=joined.member_id,
        brand_id=world.brand_id,
        store_id=joined.store_id,
        referred_at=NOW,
    )


async def test_a_referrer_of_another_brand_registers_nobody(world: World) -> None:
    other = world.another()
    await other.brand("aurora")
    theirs = await register(other, "138 0000 3333")
    before = len(world.tables.members)

    for referred_by in (theirs.member_id, "mbr_nobody"):
        with pytest.raises(UnknownReference):
            await register(world, "138 0000 4444", referred_by=referred_by)
    assert len(world.tables.members) == before
    assert REFERRAL not in [envelope.type for envelope in world.database.published()]


async def test_registering_without_a_referrer_announces_no_referral(world: World) -> None:
    await register(world, "138 0000 5555")

    assert REFERRAL not in [envelope.type for envelope in world.database.published()]
