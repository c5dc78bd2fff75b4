"""Who exists for the service-orders unit tests: two brands' members, stores and staff, as
identity's events would have put them in the service's directory replica.

Brand 1 has two stores; its members registered at store 1 but may visit either. Brand 2 has
one store, one member and one associate: the references another brand's caller may name.
"""

from __future__ import annotations

from rapport_events.directory import DirectoryTables, KnownMember, KnownStaff, KnownStore
from rapport_events.uow import InMemoryDatabase
from service_orders.adapters.memory import ServiceOrdersTables

BRAND = "brand-1"
OTHER_BRAND = "brand-2"

STORE = "store-1"
SECOND_STORE = "store-2"
OTHER_BRANDS_STORE = "store-b1"

MEMBER = "mem-1"
SECOND_MEMBER = "mem-2"
OTHER_BRANDS_MEMBER = "mem-b1"

ASSOCIATE = "staff-li"
COLLEAGUE = "staff-wang"
SECOND_STORES_MANAGER = "staff-wu"
HQ = "hq-anna"
OTHER_BRANDS_ASSOCIATE = "staff-b1"

NOBODY = "mbr_does_not_exist"
NOWHERE = "sto_does_not_exist"


def known_directory() -> DirectoryTables:
    return DirectoryTables(
        members={
            member.member_id: member
            for member in (
                KnownMember(MEMBER, BRAND, STORE, associate_id=ASSOCIATE),
                KnownMember(SECOND_MEMBER, BRAND, STORE),
                KnownMember(OTHER_BRANDS_MEMBER, OTHER_BRAND, OTHER_BRANDS_STORE),
            )
        },
        stores={
            store.store_id: store
            for store in (
                KnownStore(STORE, BRAND),
                KnownStore(SECOND_STORE, BRAND),
                KnownStore(OTHER_BRANDS_STORE, OTHER_BRAND),
            )
        },
        staff={
            staff.staff_id: staff
            for staff in (
                KnownStaff(HQ, BRAND, "hq"),
                KnownStaff(ASSOCIATE, BRAND, "associate", STORE),
                KnownStaff(COLLEAGUE, BRAND, "associate", STORE),
                KnownStaff(SECOND_STORES_MANAGER, BRAND, "store_manager", SECOND_STORE),
                KnownStaff(OTHER_BRANDS_ASSOCIATE, OTHER_BRAND, "associate", OTHER_BRANDS_STORE),
            )
        },
    )


def known_world(database: InMemoryDatabase) -> InMemoryDatabase:
    """``database`` with the replica filled in, as if identity's events had arrived."""
    tables: ServiceOrdersTables = database.tables
    tables.directory = known_directory()
    return database
