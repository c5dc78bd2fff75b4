"""Membership tiers by cumulative spend.

Each point stands for one whole yuan paid, so lifetime earned points measure cumulative spend
(redemptions lower the balance, never the tier). The referral-based diamond tier needs
referral counts and is not derived here.
"""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    REGISTERED = "registered"
    MEMBER = "member"
    SILVER = "silver"
    GOLD = "gold"


# Highest threshold first: the first one reached wins.
TIER_THRESHOLDS: tuple[tuple[int, Tier], ...] = (
    (5_000, Tier.GOLD),
    (2_000, Tier.SILVER),
    (500, Tier.MEMBER),
)


def tier_for(lifetime_earned: int) -> Tier:
    for threshold, tier in TIER_THRESHOLDS:
        if lifetime_earned >= threshold:
            return tier
    return Tier.REGISTERED
