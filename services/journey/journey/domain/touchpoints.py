"""Touchpoints: who is reached, through which channel, with what (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from rapport_events.contracts.identity import Gender
from rapport_events.contracts.journey import Audience, Channel

TOUCHPOINT_NAMESPACE: Final = uuid.UUID("6f1d3c52-2b8e-4a4e-9f3e-7f0f5e3c9a11")


@dataclass(frozen=True)
class Touchpoint:
    touchpoint_id: str
    template: str
    audience: Audience
    channel: Channel
    recipient_id: str
    marketing: bool
    variables: Mapping[str, str] = field(default_factory=dict)


def touchpoint_id(member_id: str, rule: str, occasion: str) -> str:
    """The same rule on the same occasion always names the same touchpoint, so a replay
    cannot request a second one."""
    return "tpt_" + uuid.uuid5(TOUCHPOINT_NAMESPACE, f"{member_id}:{rule}:{occasion}").hex


def title_for(gender: Gender) -> str:
    """How a message addresses her after the surname (梁女士, 陈先生)."""
    return {"female": "女士", "male": "先生"}.get(gender, "")
