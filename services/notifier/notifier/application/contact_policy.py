"""Which contact policy a brand is under: its own if saved, else the built-in default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from notifier.application.ports import ContactPolicyStore, StoredContactPolicy
from notifier.domain.contact_policy import DEFAULT_CONTACT_POLICY, ContactPolicy

PolicySource = Literal["default", "brand"]


@dataclass(frozen=True)
class EffectiveContactPolicy:
    policy: ContactPolicy
    source: PolicySource
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def of(cls, stored: StoredContactPolicy | None) -> EffectiveContactPolicy:
        if stored is None:
            return cls(DEFAULT_CONTACT_POLICY, "default")
        return cls(stored.policy, "brand", stored.updated_at, stored.updated_by)


async def contact_policy_of(store: ContactPolicyStore, brand_id: str) -> ContactPolicy:
    stored = await store.get(brand_id)
    return DEFAULT_CONTACT_POLICY if stored is None else stored.policy
