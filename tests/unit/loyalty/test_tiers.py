import pytest
from loyalty.domain.tiers import Tier, tier_for


@pytest.mark.parametrize(
    ("lifetime_earned", "tier"),
    [
        (0, Tier.REGISTERED),
        (499, Tier.REGISTERED),
        (500, Tier.MEMBER),
        (1_999, Tier.MEMBER),
        (2_000, Tier.SILVER),
        (4_999, Tier.SILVER),
        (5_000, Tier.GOLD),
        (1_000_000, Tier.GOLD),
    ],
)
def test_tier_follows_cumulative_spend(lifetime_earned: int, tier: Tier) -> None:
    assert tier_for(lifetime_earned) is tier


def test_tier_names_are_the_published_words() -> None:
    assert [str(tier) for tier in Tier] == ["registered", "member", "silver", "gold"]
