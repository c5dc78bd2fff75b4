"""Who may read which points account.

A member's account is reached through her brand: anything outside the caller's brand is
answered exactly like an account that does not exist (:class:`NoPointsAccount`, 404), so
that member ids cannot be probed across brands.

Store managers and associates are scoped by brand only, as before: which store a member
belongs to and which associate serves her are identity's facts, and they are not replicated
into loyalty yet. Narrow the rule here once they are.
"""

from __future__ import annotations

from rapport_platform.auth import Principal

from loyalty.application.ports import PointsBalance
from loyalty.domain.errors import NoPointsAccount


def ensure_may_read(
    caller: Principal, member_id: str, account: PointsBalance | None
) -> PointsBalance:
    """The account, if there is one the caller may see; :class:`NoPointsAccount` otherwise."""
    if account is None or not caller.reaches_brand(account.brand_id):
        raise NoPointsAccount(member_id)
    return account
