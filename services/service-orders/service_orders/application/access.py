"""Who may see and change which appointments and purchases, and which references a write may name.

Everything is scoped to the caller's brand, and store managers and associates to their own
store. Whatever lies outside that scope is answered as if it did not exist, so that ids
cannot be probed: a path or a filter naming it is an
:class:`~rapport_platform.refusals.OutOfScope` (404); a body field naming it is an
:class:`~service_orders.application.errors.UnknownReference` (422), the very refusal an id
nobody knows gets. References are checked against the local replica of identity's directory
(:mod:`rapport_events.directory`). Which roles may call the API at all is decided by the
routes (403).

A member may visit, and buy in, any store of her brand, not only the one she registered at;
store staff serve any member of their brand who comes to their store, whoever she is bound to.
"""

from __future__ import annotations

from typing import TypeVar

from rapport_events.directory import Directory, known_member, known_staff, known_store
from rapport_events.envelope import EventEnvelope
from rapport_platform.auth import STORE_ROLES, Principal, Role

from service_orders.application.commands import Actor
from service_orders.application.errors import (
    IdAlreadyUsed,
    OutsideStore,
    UnknownMember,
    UnknownStaff,
    UnknownStore,
)
from service_orders.domain.appointment import Appointment
from service_orders.domain.errors import (
    AppointmentNotFound,
    PurchaseNotFound,
    ReviewNotFound,
    VisitNotFound,
)
from service_orders.domain.purchase import Purchase
from service_orders.domain.review import Review

Record = TypeVar("Record", Appointment, Purchase)


def actor_of(principal: Principal) -> Actor:
    """The caller as the use cases know her: her brand, and her store if she is bound to one."""
    return Actor(
        subject=principal.subject,
        brand_id=principal.require_brand(),
        store_scope=principal.store_id if principal.role in STORE_ROLES else None,
        role=principal.role,
    )


def integration_of(envelope: EventEnvelope) -> Actor:
    """Who writes what an outside system published on its brand's ingestion topic: an
    integration of that brand, brand-wide, named by the sending system (``ce_source``).

    The consumer has already refused a record whose topic, envelope and data do not name
    one brand, so the envelope's brand is the one Kafka let the integration write for.
    """
    return Actor(subject=envelope.source, brand_id=envelope.brandid, role=Role.INTEGRATION)


def own_record(actor: Actor, field: str, reference: str, found: Record | None) -> Record | None:
    """What an id an outside system chose already names, if anything of the actor's brand;
    another brand's record is refused as a different record, which it is."""
    if found is not None and found.brand_id != actor.brand_id:
        raise IdAlreadyUsed(field, reference)
    return found


def reaches_store(actor: Actor, store_id: str) -> bool:
    return actor.store_scope is None or actor.store_scope == store_id


def ensure_store(actor: Actor, store_id: str) -> None:
    """Store-bound staff act for their own store only; another store does not exist for them."""
    if not reaches_store(actor, store_id):
        raise OutsideStore(store_id)


async def ensure_order_references(
    directory: Directory, actor: Actor, *, member_id: str, store_id: str
) -> None:
    """A booking or a purchase names a member of the caller's brand and a store she may act
    for; checked before anything is written."""
    if await known_member(directory, member_id, brand_id=actor.brand_id) is None:
        raise UnknownMember("member_id", member_id)
    store = await known_store(directory, store_id, brand_id=actor.brand_id)
    # Looked up even when out of the caller's store: every refusal costs the same.
    if store is None or not reaches_store(actor, store_id):
        raise UnknownStore("store_id", store_id)


async def ensure_server(directory: Directory, actor: Actor, served_by: str | None) -> None:
    """Whoever a completion says served the visit is on the staff of the caller's brand.

    Staff may serve in another store of the brand than their own (a stand-in for a day).
    """
    if served_by is None:
        return
    if await known_staff(directory, served_by, brand_id=actor.brand_id) is None:
        raise UnknownStaff("served_by", served_by)


def store_in_scope(actor: Actor, store_id: str | None) -> str | None:
    """The store a listing is restricted to: store-bound staff list their own store whether
    or not they name it."""
    if store_id is None:
        return actor.store_scope
    ensure_store(actor, store_id)
    return store_id


def reachable_appointment(
    actor: Actor, appointment_id: str, appointment: Appointment | None
) -> Appointment:
    """``appointment`` if the actor may see it; missing, or out of reach, it does not exist."""
    if appointment is None or not _within_reach(actor, appointment):
        raise AppointmentNotFound(appointment_id)
    return appointment


def reachable_purchase(actor: Actor, purchase_id: str, purchase: Purchase | None) -> Purchase:
    if purchase is None or not _within_reach(actor, purchase):
        raise PurchaseNotFound(purchase_id)
    return purchase


def reachable_visit(actor: Actor, visit_id: str, visited: Appointment | None) -> Appointment:
    """The appointment ``visit_id`` completed, if the actor may see it; otherwise the visit
    does not exist for her."""
    if visited is None or not _within_reach(actor, visited):
        raise VisitNotFound(visit_id)
    return visited


def reachable_review(actor: Actor, review_id: str, review: Review | None) -> Review:
    if review is None or not _within_reach(actor, review):
        raise ReviewNotFound(review_id)
    return review


def _within_reach(actor: Actor, resource: Appointment | Purchase | Review) -> bool:
    return resource.brand_id == actor.brand_id and reaches_store(actor, resource.store_id)


def default_server(actor: Actor, served_by: str | None) -> str | None:
    """Who served a visit when the completion does not say: the associate completing it."""
    if served_by is None and actor.role is Role.ASSOCIATE:
        return actor.subject
    return served_by
