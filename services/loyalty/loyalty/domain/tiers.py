"""Membership tiers by cumulative spend, with the brand-default thresholds.

Cumulative spend is what a member paid for purchases and visits, in whole yuan per payment
as points are earned (one point per whole yuan): a fraction of a yuan in a payment does not
count, a payment under one yuan not at all. Redemptions lower the balance, never the spend.

Only upward moves are decided here, and only from spend. Downgrades (spend in a rolling
window) and the diamond tier (three successful referrals) are a later issue; so are
per-brand thresholds.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Tier(StrEnum):
    REGISTERED = "registered"
    MEMBER = "member"
    SILVER = "silver"
    GOLD = "gold"


MEMBER_FROM_YUAN = Decimal("500")
SILVER_FROM_YUAN = Decimal("2000")
GOLD_FROM_YUAN = Decimal("5000")

# Highest threshold first: the first one reached wins.
TIER_THRESHOLDS: tuple[tuple[Decimal, Tier], ...] = (
    (GOLD_FROM_YUAN, Tier.GOLD),
    (SILVER_FROM_YUAN, Tier.SILVER),
    (MEMBER_FROM_YUAN, Tier.MEMBER),
)

_RANKS = {tier: rank for rank, tier in enumerate(Tier)}


def tier_for(cumulative_spend: Decimal | int) -> Tier:
    for threshold, tier in TIER_THRESHOLDS:
        if cumulative_spend >= threshold:
            return tier
    return Tier.REGISTERED


def upgrade(current: Tier, cumulative_spend: Decimal) -> Tier | None:
    """The tier a member at ``current`` moves up to with ``cumulative_spend``; None when she
    stays (spend never moves her down here)."""
    reached = tier_for(cumulative_spend)
    return reached if _RANKS[reached] > _RANKS[current] else None


def spend_reason(cumulative_spend: Decimal) -> str:
    """Why she moved, as TierChanged says it: "cumulative spend 2,000.00 yuan"."""
    return f"cumulative spend {cumulative_spend:,.2f} yuan"
