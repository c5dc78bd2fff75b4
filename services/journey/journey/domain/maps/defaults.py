"""The map a new brand gets with no configuration, and the notifier templates it needs (pure).

The map is ``default_map.yaml`` beside this module, commented rule by rule; it is data
shipped with the package, read like any map a brand would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from journey.domain.maps.compiler import parse_map

DEFAULT_MAP_FILE: Final = "default_map.yaml"

DEFAULT_TEMPLATES: Final[Mapping[str, bool]] = MappingProxyType(
    {
        # Messages to the member.
        "welcome_back": False,
        "care_guide_24h": False,
        "birthday_greeting": False,
        "first_visit_voucher": False,
        "seasonal_package_offer": False,
        "seasonal_care_reminder": False,
        "nail_refill_reminder": False,
        "anniversary_gift": False,
        "deep_cleaning_voucher": False,
        "review_invitation": False,
        # Tasks for staff.
        "churn_risk_alert": True,
        "birthday_task": True,
        "follow_up_call_task": True,
        "deep_cleaning_due_task": True,
        "dedicated_technician_task": True,
    }
)
"""Template key to whether it is a staff task template: what the notifier must hold for a
brand on the default map (the notifier seeds these for a new brand)."""


DORMANCY_TRIGGER: Final = "dormancy_check"
"""The default map's inactivity trigger: its timer's due time is when she goes dormant."""


def default_map_text() -> str:
    """The default map as written, comments included (what HQ starts editing from)."""
    return resources.files(__package__).joinpath(DEFAULT_MAP_FILE).read_text(encoding="utf-8")


def default_map_document() -> dict[str, Any]:
    """The default map as a document for :func:`journey.domain.maps.compiler.compile_map`."""
    return parse_map(default_map_text(), "application/yaml")
