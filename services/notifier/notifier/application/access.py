"""Who may see and change what in the notifier.

Every role reads the deliveries and templates of its own brand; a platform administrator
names the brand. Another brand does not exist for the caller (``OutOfScope``, 404). An
associate's list of deliveries is her own task list: no member messages, no colleagues'
tasks. Every role reads its brand's contact policy (staff may want to know when a message
will go out). Only HQ and platform administrators may change templates and the contact policy
(:class:`NotPermitted`, 403).

Store managers read the whole brand's deliveries, as before: a delivery's store is not
always known (``store_id`` may be empty), so a store rule would hide messages arbitrarily.
"""

from __future__ import annotations

from rapport_platform.auth import Principal, Role

from notifier.application.ports import DeliveryFilter
from notifier.domain.errors import NotPermitted

TEMPLATE_EDITORS = frozenset({Role.PLATFORM_ADMIN, Role.HQ})
POLICY_EDITORS = frozenset({Role.PLATFORM_ADMIN, Role.HQ})


def acting_brand(caller: Principal, named: str | None) -> str:
    """The brand a request acts on: the caller's own, or the one a platform admin names."""
    return caller.require_brand(named)


def visible_deliveries(caller: Principal, named_brand: str | None) -> DeliveryFilter:
    """The part of the deliveries the caller may list."""
    brand = acting_brand(caller, named_brand)
    if caller.role is Role.ASSOCIATE:
        return DeliveryFilter(brand_id=brand, channel="task", recipient_id=caller.subject)
    return DeliveryFilter(brand_id=brand)


def ensure_may_edit_templates(caller: Principal) -> None:
    if caller.role not in TEMPLATE_EDITORS:
        raise NotPermitted(f"a {caller.role} may not change templates")


def ensure_may_edit_contact_policy(caller: Principal) -> None:
    if caller.role not in POLICY_EDITORS:
        raise NotPermitted(f"a {caller.role} may not change the contact policy")
