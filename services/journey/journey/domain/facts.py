"""A member's facts, folded from the events journey consumed about her (pure).

Facts follow event time, not arrival order: a visit recorded late still counts, and "latest"
always means the latest by event time. What is kept is bounded: counts and totals are exact,
instants that only windowed facts read are kept for :data:`KEPT_FOR` (longer than any window
a map may reasonably ask for), ratings and products for the latest few.

Applying the same event twice counts it twice: journey keeps its own store of the member
events it consumed and hands each one over once.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar

from rapport_events.contracts.identity import Gender

from journey.domain.maps.model import Fact, Wait
from journey.domain.touchpoints import title_for

KEPT_FOR: Final = timedelta(days=400)
"""How far back from her latest event the instants of windowed facts are kept."""
RATINGS_KEPT: Final = 20
PRODUCTS_KEPT: Final = 50
SNAPSHOT_VERSION: Final = 1
GENDERS: Final[Mapping[str, Gender]] = {
    "female": "female",
    "male": "male",
    "unspecified": "unspecified",
}
DAY: Final = timedelta(days=1)
_T = TypeVar("_T")


@dataclass(frozen=True)
class MemberEvent:
    """One event about a member, as journey stores it for facts, rebuilds and dry runs.

    ``kind`` is a name from :data:`journey.domain.maps.model.EVENT_KINDS`; ``data`` holds the
    contract's fields as JSON values (amounts as strings of yuan, times as ISO 8601).
    """

    event_id: str
    member_id: str
    brand_id: str
    kind: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Product:
    code: str
    category: str
    at: datetime


@dataclass
class MemberFacts:
    member_id: str
    brand_id: str
    # visits (completed paid services) and purchases
    visit_count: int = 0
    visit_spent: Decimal = Decimal("0.00")
    purchase_spent: Decimal = Decimal("0.00")
    first_visit_at: datetime | None = None
    last_visit_at: datetime | None = None
    spending: list[tuple[datetime, Decimal]] = field(default_factory=list)
    """(event time, yuan) of visits and purchases within :data:`KEPT_FOR`, by time."""
    products: list[Product] = field(default_factory=list)
    """Latest :data:`PRODUCTS_KEPT` items bought, oldest first."""
    # service quality and reliability
    ratings: list[tuple[datetime, int]] = field(default_factory=list)
    """(event time, satisfaction) of her latest :data:`RATINGS_KEPT` reviews, oldest first."""
    cancellations: list[datetime] = field(default_factory=list)
    """Event times of her cancellations within :data:`KEPT_FOR`, by time."""
    missed: list[datetime] = field(default_factory=list)
    """Event times of appointments she missed within :data:`KEPT_FOR`, by time."""
    # loyalty
    tier: str = ""
    tier_at: datetime | None = None
    tags: set[str] = field(default_factory=set)
    referrals: int = 0
    # profile
    surname: str | None = None
    gender: Gender = "unspecified"
    preferred_channel: str = "sms"
    birthday_on: date | None = None
    store_id: str | None = None
    registered_at: datetime | None = None
    associate_id: str | None = None
    bound_at: datetime | None = None
    latest_by_kind: dict[str, datetime] = field(default_factory=dict)
    """Her latest event of each kind, by event time (activity for inactivity triggers)."""
    latest_at: datetime | None = None

    # ------------------------------------------------------------------ folding

    def apply(self, event: MemberEvent) -> None:
        """Fold one event in (in any order)."""
        at = event.at
        previous = self.latest_by_kind.get(event.kind)
        if previous is None or at > previous:
            self.latest_by_kind[event.kind] = at
        if self.latest_at is None or at > self.latest_at:
            self.latest_at = at
        folder = _FOLDERS.get(event.kind)
        if folder is not None:
            folder(self, event)
        self._forget_old()

    def _visit(self, event: MemberEvent) -> None:
        amount = _amount(event.data.get("amount"))
        self.visit_count += 1
        self.visit_spent += amount
        self._spend(event.at, amount)
        if self.first_visit_at is None or event.at < self.first_visit_at:
            self.first_visit_at = event.at
        if self.last_visit_at is None or event.at > self.last_visit_at:
            self.last_visit_at = event.at
        self.store_id = self.store_id or _text(event.data.get("store_id"))

    def _purchase(self, event: MemberEvent) -> None:
        amount = _amount(event.data.get("amount"))
        self.purchase_spent += amount
        self._spend(event.at, amount)
        items = event.data.get("items") or ()
        for item in items if isinstance(items, list) else ():
            if isinstance(item, Mapping):
                product = Product(
                    code=str(item.get("product_code") or item.get("code") or ""),
                    category=str(item.get("category") or ""),
                    at=event.at,
                )
                _insort(self.products, product, key=lambda p: p.at)
        del self.products[:-PRODUCTS_KEPT]
        self.store_id = self.store_id or _text(event.data.get("store_id"))

    def _review(self, event: MemberEvent) -> None:
        satisfaction = event.data.get("satisfaction")
        if isinstance(satisfaction, bool) or not isinstance(satisfaction, int | float | str):
            return
        try:
            score = int(satisfaction)
        except ValueError:
            return
        _insort(self.ratings, (event.at, score), key=lambda rating: rating[0])
        del self.ratings[:-RATINGS_KEPT]

    def _cancelled(self, event: MemberEvent) -> None:
        bisect.insort(self.cancellations, event.at)

    def _missed(self, event: MemberEvent) -> None:
        bisect.insort(self.missed, event.at)

    def _tier(self, event: MemberEvent) -> None:
        if self.tier_at is None or event.at >= self.tier_at:
            self.tier = str(event.data.get("to_tier") or "")
            self.tier_at = event.at

    def _referral(self, event: MemberEvent) -> None:
        self.referrals += 1

    def _registered(self, event: MemberEvent) -> None:
        data = event.data
        self.surname = _text(data.get("surname")) or self.surname
        self.gender = GENDERS.get(str(data.get("gender") or ""), "unspecified")
        self.preferred_channel = _text(data.get("preferred_channel")) or "sms"
        birthday = data.get("birthday")
        self.birthday_on = date.fromisoformat(birthday) if isinstance(birthday, str) else None
        # The registration names her home store; a visit seen earlier only guessed it.
        self.store_id = _text(data.get("store_id")) or self.store_id
        registered = data.get("registered_at")
        self.registered_at = _instant(registered) if isinstance(registered, str) else event.at
        tags = data.get("tags")
        if isinstance(tags, list):
            self.tags.update(str(tag) for tag in tags)

    def _bound(self, event: MemberEvent) -> None:
        # Handed over again and again: the latest binding by event time is hers.
        if self.bound_at is None or event.at >= self.bound_at:
            self.associate_id = _text(event.data.get("associate_id")) or self.associate_id
            self.bound_at = event.at
        self.store_id = self.store_id or _text(event.data.get("store_id"))

    def _spend(self, at: datetime, amount: Decimal) -> None:
        _insort(self.spending, (at, amount), key=lambda spent: spent[0])

    def _forget_old(self) -> None:
        if self.latest_at is None:
            return
        horizon = self.latest_at - KEPT_FOR
        # The lists are kept in time order, so nothing is old unless the first is.
        if self.spending and self.spending[0][0] < horizon:
            self.spending = [spent for spent in self.spending if spent[0] >= horizon]
        if self.cancellations and self.cancellations[0] < horizon:
            self.cancellations = [at for at in self.cancellations if at >= horizon]
        if self.missed and self.missed[0] < horizon:
            self.missed = [at for at in self.missed if at >= horizon]

    # ------------------------------------------------------------------ reading

    @property
    def total_spent(self) -> Decimal:
        return self.visit_spent + self.purchase_spent

    @property
    def birthday(self) -> date | None:
        return self.birthday_on

    @property
    def title(self) -> str:
        """How a message addresses her after the surname (女士, 先生, or nothing)."""
        return title_for(self.gender)

    def last_activity_at(self, kind: str) -> datetime | None:
        """Her latest event of ``kind``, by event time."""
        return self.latest_by_kind.get(kind)

    def latest_activity(self, kinds: Iterable[str]) -> datetime | None:
        """Her latest event of any of ``kinds``, by event time."""
        instants = [self.latest_by_kind[kind] for kind in kinds if kind in self.latest_by_kind]
        return max(instants, default=None)

    def date_fact(self, name: str) -> date | datetime | None:
        """The value a date trigger counts from: her birthday (a date) or an instant."""
        if name == "birthday":
            return self.birthday_on
        if name == "first_visit_at":
            return self.first_visit_at
        if name == "registered_at":
            return self.registered_at
        return None

    def context(self, declared: Mapping[str, Fact], now: datetime) -> dict[str, Any]:
        """The ``facts`` variable of a condition: every declared fact, computed at ``now``."""
        return {name: self.value(fact, now) for name, fact in declared.items()}

    def value(self, fact: Fact, now: datetime) -> Any:
        """One fact at ``now``, as CEL reads it (int, double, string, list, map, timestamp)."""
        parameters = {**fact.kind.parameters, **fact.parameters} if fact.kind.parameters else {}
        match fact.name:
            case "visit_count":
                return self.visit_count
            case "total_spent":
                return float(self.total_spent)
            case "recent_spend":
                start = _wait(parameters["window"]).before(now)
                return float(sum((a for at, a in self.spending if start < at <= now), Decimal()))
            case "spend_per_visit":
                return float(self.visit_spent / self.visit_count) if self.visit_count else 0.0
            case "days_since_last_visit":
                since = self.last_visit_at or self.registered_at
                return None if since is None else max(0, (now - since) // DAY)
            case "last_visit_at":
                return self.last_visit_at
            case "first_visit_at":
                return self.first_visit_at
            case "registered_at":
                return self.registered_at
            case "ratings":
                last = int(parameters["last"])
                return [score for _, score in self.ratings[-last:]] if last > 0 else []
            case "low_ratings_in_a_row":
                below = int(parameters["below"])
                in_a_row = 0
                for _, score in reversed(self.ratings):
                    if score >= below:
                        break
                    in_a_row += 1
                return in_a_row
            case "cancellations":
                return _within(self.cancellations, _wait(parameters["window"]), now)
            case "missed_appointments":
                return _within(self.missed, _wait(parameters["window"]), now)
            case "tier":
                return self.tier
            case "tags":
                return sorted(self.tags)
            case "birthday":
                birthday = self.birthday_on
                return None if birthday is None else datetime.combine(birthday, time(), UTC)
            case "products":
                return [{"code": p.code, "category": p.category, "at": p.at} for p in self.products]
            case "referrals":
                return self.referrals
            case "store_id":
                return self.store_id or ""
            case "associate_id":
                return self.associate_id or ""
            case "gender":
                return self.gender
            case "preferred_channel":
                return self.preferred_channel
        raise KeyError(f"unknown fact {fact.name!r}")

    # ------------------------------------------------------------------ storing

    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON values (journey stores it in a jsonb column)."""
        return {
            "v": SNAPSHOT_VERSION,
            "member_id": self.member_id,
            "brand_id": self.brand_id,
            "visit_count": self.visit_count,
            "visit_spent": str(self.visit_spent),
            "purchase_spent": str(self.purchase_spent),
            "first_visit_at": _iso(self.first_visit_at),
            "last_visit_at": _iso(self.last_visit_at),
            "spending": [[at.isoformat(), str(amount)] for at, amount in self.spending],
            "products": [[p.code, p.category, p.at.isoformat()] for p in self.products],
            "ratings": [[at.isoformat(), score] for at, score in self.ratings],
            "cancellations": [at.isoformat() for at in self.cancellations],
            "missed": [at.isoformat() for at in self.missed],
            "tier": self.tier,
            "tier_at": _iso(self.tier_at),
            "tags": sorted(self.tags),
            "referrals": self.referrals,
            "surname": self.surname,
            "gender": self.gender,
            "preferred_channel": self.preferred_channel,
            "birthday": self.birthday_on.isoformat() if self.birthday_on else None,
            "store_id": self.store_id,
            "registered_at": _iso(self.registered_at),
            "associate_id": self.associate_id,
            "bound_at": _iso(self.bound_at),
            "latest_by_kind": {kind: at.isoformat() for kind, at in self.latest_by_kind.items()},
            "latest_at": _iso(self.latest_at),
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any]) -> MemberFacts:
        s = snapshot
        birthday = s.get("birthday")
        return cls(
            member_id=s["member_id"],
            brand_id=s["brand_id"],
            visit_count=int(s["visit_count"]),
            visit_spent=Decimal(s["visit_spent"]),
            purchase_spent=Decimal(s["purchase_spent"]),
            first_visit_at=_maybe_instant(s.get("first_visit_at")),
            last_visit_at=_maybe_instant(s.get("last_visit_at")),
            spending=[(_instant(at), Decimal(amount)) for at, amount in s["spending"]],
            products=[Product(code, cat, _instant(at)) for code, cat, at in s["products"]],
            ratings=[(_instant(at), int(score)) for at, score in s["ratings"]],
            cancellations=[_instant(at) for at in s["cancellations"]],
            missed=[_instant(at) for at in s["missed"]],
            tier=s["tier"],
            tier_at=_maybe_instant(s.get("tier_at")),
            tags=set(s["tags"]),
            referrals=int(s["referrals"]),
            surname=s.get("surname"),
            gender=GENDERS.get(s.get("gender") or "", "unspecified"),
            preferred_channel=s.get("preferred_channel") or "sms",
            birthday_on=date.fromisoformat(birthday) if birthday else None,
            store_id=s.get("store_id"),
            registered_at=_maybe_instant(s.get("registered_at")),
            associate_id=s.get("associate_id"),
            bound_at=_maybe_instant(s.get("bound_at")),
            latest_by_kind={kind: _instant(at) for kind, at in s["latest_by_kind"].items()},
            latest_at=_maybe_instant(s.get("latest_at")),
        )


_FOLDERS: Final = {
    "visit.completed": MemberFacts._visit,
    "purchase.recorded": MemberFacts._purchase,
    "review.submitted": MemberFacts._review,
    "appointment.cancelled": MemberFacts._cancelled,
    "appointment.missed": MemberFacts._missed,
    "tier.changed": MemberFacts._tier,
    "referral.made": MemberFacts._referral,
    "member.registered": MemberFacts._registered,
    "member.bound": MemberFacts._bound,
}


@functools.lru_cache(maxsize=256)
def _wait(text: str) -> Wait:
    """A window as written in a fact's parameters; maps repeat the same few."""
    return Wait.parse(text)


def _within(instants: list[datetime], window: Wait, now: datetime) -> int:
    start = window.before(now)
    return sum(1 for at in instants if start < at <= now)


def _insort(items: list[_T], item: _T, *, key: Callable[[_T], datetime]) -> None:
    # Stable: an item equal in time to one already there goes after it (arrival order).
    items.insert(bisect.bisect_right(items, key(item), key=key), item)


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0.00")
    except InvalidOperation:
        return Decimal("0.00")


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _maybe_instant(text: str | None) -> datetime | None:
    return _instant(text) if text else None


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None
