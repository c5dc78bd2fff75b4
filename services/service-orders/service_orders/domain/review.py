"""A member's review of a visit: the NPS question (0-10) and her satisfaction (0-100).

The brief's figures read them: NPS from the recommendations, the churn-risk rule from two
satisfactions below 80 in a row. One review per visit; a visit is reviewable once it
happened, whoever enters the review (the member through the mini-program, staff for her).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rapport_events.contracts.service_orders import ReviewSubmitted

from service_orders.domain.appointment import Appointment
from service_orders.domain.errors import InvalidField, TransitionRefused

MAX_RECOMMENDATION = 10
MAX_SATISFACTION = 100
MAX_COMMENT_LENGTH = 500


@dataclass(frozen=True)
class Review:
    review_id: str
    visit_id: str
    brand_id: str
    store_id: str
    member_id: str
    recommendation: int
    satisfaction: int
    comment: str
    submitted_by: str
    submitted_at: datetime

    @classmethod
    def submit(
        cls,
        *,
        review_id: str,
        visited: Appointment,
        recommendation: int,
        satisfaction: int,
        comment: str | None,
        submitted_by: str,
        now: datetime,
    ) -> tuple[Review, ReviewSubmitted]:
        """The review of the visit that completed ``visited``, and the event announcing it."""
        if visited.visit is None:
            raise TransitionRefused(
                f"appointment {visited.appointment_id} is {visited.status.value}: "
                "only a visit can be reviewed"
            )
        review = cls(
            review_id=review_id,
            visit_id=visited.visit.visit_id,
            brand_id=visited.brand_id,
            store_id=visited.store_id,
            member_id=visited.member_id,
            recommendation=_score("recommendation", recommendation, MAX_RECOMMENDATION),
            satisfaction=_score("satisfaction", satisfaction, MAX_SATISFACTION),
            comment=_comment(comment),
            submitted_by=submitted_by,
            submitted_at=now.astimezone(UTC),
        )
        event = ReviewSubmitted(
            review_id=review.review_id,
            visit_id=review.visit_id,
            member_id=review.member_id,
            brand_id=review.brand_id,
            store_id=review.store_id,
            recommendation=review.recommendation,
            satisfaction=review.satisfaction,
            comment=review.comment,
            submitted_at=review.submitted_at,
        )
        return review, event


def _score(field: str, value: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidField(
            field, f"{field} must be a whole number from 0 to {maximum}, got {value}"
        )
    return value


def _comment(comment: str | None) -> str:
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidField(
            "comment", f"comment must be at most {MAX_COMMENT_LENGTH} characters, got {len(text)}"
        )
    return text
