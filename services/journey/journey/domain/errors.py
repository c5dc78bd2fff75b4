"""Why journey refuses an event.

Journey's rules react to facts already true elsewhere and refuse almost nothing; what they
refuse are events no fact can make acceptable, which the consumer dead-letters.
"""

from __future__ import annotations

from rapport_platform.refusals import Refusal


class MemberOfAnotherBrand(Refusal):
    """An event about a member whose journey is another brand's.

    Worded like the directory replica's own refusal, and naming only the event's brand.
    """

    def __init__(self, member_id: str, brand_id: str) -> None:
        super().__init__(
            f"member {member_id!r} belongs to another brand than the event's brand_id {brand_id!r}"
        )
