"""The member aggregate: registration, and binding to the associate who recruited her."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from rapport_events.contracts.identity import (
    Channel,
    Gender,
    MemberBoundToAssociate,
    MemberRegistered,
    ReferralMade,
)
from rapport_platform.refusals import InvalidInput

from identity.domain import ids
from identity.domain.errors import AlreadyBound, InvalidBirthday, UnknownReference
from identity.domain.organisation import Staff
from identity.domain.phone import normalise_phone

# Brands operate in mainland China (no daylight saving): "today" is the date in Beijing time,
# so a baby registered at 01:00 on her birthday is not told she is born in the future.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
EARLIEST_BIRTHDAY = date(1900, 1, 1)
MAX_NAME_LENGTH = 64
MAX_SURNAME_LENGTH = 20  # the limit of MemberRegistered.surname


def normalise_name(raw: str, field: str = "name", maximum: int = MAX_NAME_LENGTH) -> str:
    """Trimmed, inner whitespace collapsed, NFC; 1 to ``maximum`` characters."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise InvalidInput(field, "must not be empty")
    if len(name) > maximum:
        raise InvalidInput(field, f"must be at most {maximum} characters")
    return name


def normalise_surname(raw: str) -> str:
    """The family name greetings use ("梁女士", "Ms. Liang"), as the member gives it.

    It is asked for rather than guessed from the name: "Zhou Min" may be Mr. Zhou or Mr. Min.
    """
    return normalise_name(raw, field="surname", maximum=MAX_SURNAME_LENGTH)


def check_birthday(birthday: date, now: datetime) -> date:
    today = now.astimezone(CHINA_TIME).date()
    if birthday > today:
        raise InvalidBirthday(f"must not be in the future (today is {today.isoformat()})")
    if birthday < EARLIEST_BIRTHDAY:
        raise InvalidBirthday(f"must not be before {EARLIEST_BIRTHDAY.isoformat()}")
    return birthday


@dataclass
class Member:
    member_id: str
    brand_id: str
    store_id: str
    name: str
    surname: str
    phone: str
    gender: Gender
    birthday: date | None
    preferred_channel: Channel
    registered_at: datetime
    associate_id: str | None = None
    bound_at: datetime | None = None
    referred_by: str | None = None

    @classmethod
    def register(
        cls,
        *,
        brand_id: str,
        store_id: str,
        name: str,
        surname: str,
        phone: str,
        gender: Gender,
        birthday: date | None,
        preferred_channel: Channel,
        now: datetime,
    ) -> tuple[Member, MemberRegistered]:
        """A new member and the event announcing her; names and phone are normalised."""
        member = cls(
            member_id=ids.new_id(ids.MEMBER),
            brand_id=brand_id,
            store_id=store_id,
            name=normalise_name(name),
            surname=normalise_surname(surname),
            phone=normalise_phone(phone),
            gender=gender,
            birthday=check_birthday(birthday, now) if birthday is not None else None,
            preferred_channel=preferred_channel,
            registered_at=now,
        )
        event = MemberRegistered(
            member_id=member.member_id,
            brand_id=brand_id,
            store_id=store_id,
            surname=member.surname,
            gender=gender,
            birthday=member.birthday,
            preferred_channel=preferred_channel,
            registered_at=now,
        )
        return member, event

    def bind_to(self, associate: Staff, now: datetime) -> MemberBoundToAssociate | None:
        """Bind her to ``associate`` through the associate's invite code.

        Binding again to the same associate changes nothing and announces nothing, so a
        member who scans the same QR code twice is harmless. Moving her away from another
        associate is a hand-over, not a binding.
        """
        if not associate.is_associate:
            raise InvalidInput("invite_code", f"{associate.staff_id} is not an associate")
        if associate.brand_id != self.brand_id:
            raise InvalidInput("invite_code", "the associate works for another brand")
        if self.associate_id == associate.staff_id:
            return None
        if self.associate_id is not None:
            raise AlreadyBound(self.member_id, self.associate_id)
        self.associate_id = associate.staff_id
        self.bound_at = now
        return MemberBoundToAssociate(
            member_id=self.member_id,
            brand_id=self.brand_id,
            store_id=self.store_id,
            associate_id=associate.staff_id,
            previous_associate_id=None,
            via="invite_code",
            bound_at=now,
        )

    def referred_by_member(self, referrer: Member | None, now: datetime) -> ReferralMade:
        """Record that ``referrer`` brought her, as she says registering, and announce the
        referral as the referrer's. ``referrer`` is the member the request names as it was
        found (None when no member has that id): it must be another member of her brand;
        whatever else is refused the same way, so that members of other brands cannot be
        probed."""
        if referrer is None or referrer.brand_id != self.brand_id:
            raise UnknownReference("referred_by", "there is no such member in this brand")
        if referrer.member_id == self.member_id:
            # A new member's id is new: only a bug could get here, and it must not count.
            raise InvalidInput("referred_by", "a member cannot refer herself")
        self.referred_by = referrer.member_id
        return ReferralMade(
            member_id=referrer.member_id,
            newcomer_id=self.member_id,
            brand_id=self.brand_id,
            store_id=self.store_id,
            referred_at=now,
        )
