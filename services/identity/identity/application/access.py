"""Who may see and change which members and staff (PIPL: staff see only their own customers).

Two kinds of refusal: anything outside the caller's reach (another brand, another store,
a member she does not serve) is answered as if it did not exist (:class:`OutOfScope`, 404),
so that ids cannot be probed; what her role may never do is :class:`NotPermitted` (403).
"""

from __future__ import annotations

from rapport_platform.auth import STORE_ROLES, Principal, Role
from rapport_platform.refusals import OutOfScope

from identity.domain.errors import MemberNotFound, NotPermitted
from identity.domain.member import Member
from identity.domain.organisation import StaffRole

BRAND_WIDE = frozenset({Role.HQ, Role.INTEGRATION})
SERVING_ROLES = frozenset({Role.HQ, Role.STORE_MANAGER, Role.ASSOCIATE})


def acting_brand(actor: Principal) -> str:
    """The brand the actor's commands and queries act on: her own."""
    return actor.require_brand()


def may_see_member(actor: Principal, member: Member) -> bool:
    if actor.brand_id != member.brand_id:
        return False
    if actor.role in BRAND_WIDE:
        return True
    if actor.role is Role.STORE_MANAGER:
        return member.store_id == actor.store_id
    if actor.role is Role.ASSOCIATE:
        return member.associate_id == actor.subject
    return False


def ensure_may_see_member(actor: Principal, member_id: str, member: Member | None) -> Member:
    if member is None or not may_see_member(actor, member):
        raise MemberNotFound(member_id)
    return member


def sees_personal_data(actor: Principal, member: Member) -> bool:
    """Full name and phone for those who serve her; systems get them masked."""
    return may_see_member(actor, member) and actor.role in SERVING_ROLES


def ensure_own_store(actor: Principal, store_id: str | None) -> None:
    """Store staff reach their own store only; another store does not exist for them."""
    if actor.role in STORE_ROLES and store_id is not None and store_id != actor.store_id:
        raise OutOfScope("store", store_id)


def ensure_may_register_into(actor: Principal, store_id: str) -> None:
    ensure_own_store(actor, store_id)


def ensure_may_bind(actor: Principal, member: Member) -> None:
    """An associate may bind an unbound member of her store (or confirm her own binding)."""
    if actor.role is Role.ASSOCIATE:
        reachable = member.brand_id == actor.brand_id and (
            member.associate_id == actor.subject
            or (member.associate_id is None and member.store_id == actor.store_id)
        )
    else:
        reachable = may_see_member(actor, member)
    if not reachable:
        raise MemberNotFound(member.member_id)


def ensure_binds_to_self(actor: Principal, associate_id: str) -> None:
    if actor.role is Role.ASSOCIATE and associate_id != actor.subject:
        raise NotPermitted(
            "an associate may only bind members to herself, with her own invite code",
            fields={"invite_code": "not your invite code"},
        )


def ensure_may_create_staff(actor: Principal, role: StaffRole, store_id: str | None) -> None:
    if actor.role is Role.HQ:
        return
    if actor.role is Role.STORE_MANAGER:
        if role is not StaffRole.ASSOCIATE:
            raise NotPermitted(
                "a store manager may only create associates", fields={"role": "not allowed"}
            )
        ensure_own_store(actor, store_id)
        return
    raise NotPermitted(f"a {actor.role} may not create staff")


def staff_store_scope(actor: Principal, store_id: str | None) -> str | None:
    """The store whose staff a listing shows: a store manager only ever sees her own."""
    ensure_own_store(actor, store_id)
    return actor.store_id if actor.role is Role.STORE_MANAGER else store_id


def member_scope(
    actor: Principal, store_id: str | None, associate_id: str | None
) -> tuple[str | None, str | None]:
    """The (store, associate) filter a member listing runs with, narrowed to the caller's reach."""
    if actor.role is Role.STORE_MANAGER:
        ensure_own_store(actor, store_id)
        return actor.store_id, associate_id
    if actor.role is Role.ASSOCIATE:
        if associate_id is not None and associate_id != actor.subject:
            raise OutOfScope("associate", associate_id)
        return store_id, actor.subject
    if actor.role in BRAND_WIDE:
        return store_id, associate_id
    raise NotPermitted(f"a {actor.role} has no access to members")


def ensure_may_issue_ingestion_credentials(actor: Principal) -> None:
    """Only HQ hands out the brand's Kafka credentials: they write for the whole brand."""
    if actor.role is not Role.HQ:
        raise NotPermitted(f"a {actor.role} may not issue the brand's Kafka credentials")
