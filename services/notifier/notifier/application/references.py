"""The people and the store a touchpoint names, checked against its brand before it is handled.

The touchpoint's member is checked by the guard every consumer of the directory replica has
(``with_directory``). A touchpoint also names its recipient (the member herself, or the
associate or store manager a task is for) and often a store; one the replica knows under
another brand is refused, so that one brand's request never reaches another brand's staff or
speaks for another brand's store. An id the replica does not know yet is let through, as the
guard does for members: journey checked it when it asked, and the replica may merely lag
identity.
"""

from __future__ import annotations

from rapport_events.directory import Directory, KnownMember, KnownStaff

from notifier.domain.deliveries import Touchpoint


async def foreign_reference(directory: Directory, touchpoint: Touchpoint) -> str | None:
    """Why ``touchpoint`` names a recipient or store of another brand; None when it does not."""
    named = {
        f"{touchpoint.audience} {touchpoint.recipient_id!r}": await recipient_brand(
            directory, touchpoint
        ),
        f"store {touchpoint.store_id!r}": await store_brand(directory, touchpoint.store_id),
    }
    for what, brand_id in named.items():
        if brand_id is not None and brand_id != touchpoint.brand_id:
            return (
                f"{what} belongs to another brand than the event's brand_id {touchpoint.brand_id!r}"
            )
    return None


async def recipient_brand(directory: Directory, touchpoint: Touchpoint) -> str | None:
    """The brand the replica knows the recipient under: a member for a member message, a
    member of staff for anyone else's task; None when the replica does not know her."""
    found: KnownMember | KnownStaff | None
    if touchpoint.audience == "member":
        found = await directory.member(touchpoint.recipient_id)
    else:
        found = await directory.staff(touchpoint.recipient_id)
    return found.brand_id if found is not None else None


async def store_brand(directory: Directory, store_id: str | None) -> str | None:
    if store_id is None:
        return None
    store = await directory.store(store_id)
    return store.brand_id if store is not None else None
