"""A brand's contact policy: the marketing cap and the quiet hours every send passes.

Both are enforced here, in the notifier, where every touchpoint of every journey of a brand
ends up, so one brand's members get at most ``limit`` marketing pushes per rolling window
whatever journey asked for them. Service messages (``marketing=false``) are exempt from the
cap; tasks address staff and are exempt from both rules.

Quiet hours are wall-clock times in the brand's time zone. A window whose start is later
than its end runs across midnight (21:00-08:00 is quiet from 21:00 to 08:00 the next morning).
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from notifier.domain.errors import InvalidContactPolicy, MarketingCapReached

MAX_MARKETING_LIMIT = 100
MAX_WINDOW_DAYS = 365


@dataclass(frozen=True)
class MarketingCap:
    """At most ``limit`` marketing pushes per member in any rolling ``window``."""

    limit: int = 2
    window: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if not 0 <= self.limit <= MAX_MARKETING_LIMIT:
            raise InvalidContactPolicy(
                "marketing_cap.limit", f"must be between 0 and {MAX_MARKETING_LIMIT}"
            )
        days = self.window / timedelta(days=1)
        if days != int(days) or not 1 <= days <= MAX_WINDOW_DAYS:
            raise InvalidContactPolicy(
                "marketing_cap.window_days", f"must be whole days between 1 and {MAX_WINDOW_DAYS}"
            )

    @classmethod
    def of_days(cls, limit: int, window_days: int) -> MarketingCap:
        return cls(limit=limit, window=timedelta(days=window_days))

    @property
    def window_days(self) -> int:
        return self.window.days

    def window_start(self, now: datetime) -> datetime:
        return now - self.window

    @property
    def reason(self) -> str:
        """Why a push is refused, in the words the deliveries and journey's timeline show."""
        days = "1 day" if self.window_days == 1 else f"{self.window_days} days"
        which = "weekly marketing cap" if self.window_days == 7 else "marketing cap"
        return f"{which} reached ({self.limit} per {days})"

    def check(self, sent_at: Iterable[datetime], now: datetime) -> None:
        """Raise :class:`MarketingCapReached` when another push now would break the cap.

        A push sent exactly ``window`` ago has left the window.
        """
        start = self.window_start(now)
        recent = sum(1 for instant in sent_at if instant > start)
        if recent >= self.limit:
            raise MarketingCapReached(self.reason)


WEEKLY_MARKETING_CAP = MarketingCap()


@functools.cache
def _known_time_zones() -> frozenset[str]:
    # Read once: the names of the IANA database this process runs with.
    return frozenset(zoneinfo.available_timezones())


def time_zone_named(name: str, *, field: str = "quiet_hours.time_zone") -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``); refused naming ``field`` otherwise."""
    if name not in _known_time_zones():
        raise InvalidContactPolicy(field, f"{name!r} is not an IANA time zone (Asia/Shanghai)")
    return zoneinfo.ZoneInfo(name)


def clock_time(text: str, *, field: str) -> time:
    """``HH:MM`` on a 24-hour clock (``08:00``, ``21:30``); refused naming ``field``."""
    hours, separator, minutes = text.partition(":")
    if (
        separator != ":"
        or len(hours) != 2
        or len(minutes) != 2
        or not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit())
        or int(hours) > 23
        or int(minutes) > 59
    ):
        raise InvalidContactPolicy(field, f"{text!r} is not a time of day as HH:MM (21:00)")
    return time(int(hours), int(minutes))


def hh_mm(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


@dataclass(frozen=True)
class QuietHours:
    """No member message goes out between ``start`` and ``end`` in ``time_zone``; one that
    arrives then is held until ``end``. ``enabled=False`` switches the rule off."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    time_zone: str = "Asia/Shanghai"
    enabled: bool = True
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", time_zone_named(self.time_zone))
        for name, moment in (("start", self.start), ("end", self.end)):
            if moment.tzinfo is not None or moment.second or moment.microsecond:
                raise InvalidContactPolicy(
                    f"quiet_hours.{name}", "must be a wall-clock time in whole minutes"
                )
        if self.start == self.end:
            raise InvalidContactPolicy("quiet_hours.end", "must differ from quiet_hours.start")

    @property
    def crosses_midnight(self) -> bool:
        return self.start > self.end

    @property
    def reason(self) -> str:
        return f"quiet hours {hh_mm(self.start)}-{hh_mm(self.end)} ({self.time_zone})"

    def is_quiet(self, now: datetime) -> bool:
        if not self.enabled:
            return False
        local = now.astimezone(self._zone).time().replace(tzinfo=None)
        if self.crosses_midnight:
            return local >= self.start or local < self.end
        return self.start <= local < self.end

    def held_until(self, now: datetime) -> datetime | None:
        """When the window that holds a message sent at ``now`` opens; None when ``now`` is
        not quiet. The opening is ``end`` on the brand's calendar, as an aware instant."""
        if not self.is_quiet(now):
            return None
        local = now.astimezone(self._zone)
        opening_day = local.date()
        if self.crosses_midnight and local.time().replace(tzinfo=None) >= self.start:
            opening_day += timedelta(days=1)
        opening = datetime.combine(opening_day, self.end, tzinfo=self._zone)
        # An opening in a daylight-saving gap (a wall time that never happens) is read with
        # the offset before the change, so it lands just after the gap, never inside it.
        return opening.astimezone(now.tzinfo)


@dataclass(frozen=True)
class ContactPolicy:
    marketing_cap: MarketingCap = WEEKLY_MARKETING_CAP
    quiet_hours: QuietHours = QuietHours()


DEFAULT_CONTACT_POLICY = ContactPolicy()
"""What a brand that has not saved a policy of its own gets: 2 marketing pushes per member per
rolling 7 days, quiet from 21:00 to 08:00 in Asia/Shanghai."""
