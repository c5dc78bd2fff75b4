"""Message templates: a body with ``{placeholders}`` filled from a touchpoint's variables.

The syntax is deliberately smaller than ``str.format``: only ``{name}`` (ASCII letters,
digits and underscores, not starting with a digit), plus ``{{`` and ``}}`` for literal
braces. No attribute access, indexing or format specs, so a template edited by HQ can never
reach into Python objects or fail in surprising ways at delivery time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from notifier.domain.errors import InvalidTemplate, MissingVariable, TextTooLong

ChannelName = Literal["sms", "wechat", "app", "task"]
CHANNELS: tuple[ChannelName, ...] = get_args(ChannelName)

SHORT_TEXT_LIMIT = 70
"""SMS and WeChat texts are at most 70 characters (characters, not bytes)."""

SHORT_TEXT_CHANNELS: frozenset[ChannelName] = frozenset({"sms", "wechat"})

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_KEY = re.compile(KEY_PATTERN)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class TextSegment:
    text: str


@dataclass(frozen=True)
class Placeholder:
    name: str


Segment = TextSegment | Placeholder


def parse_body(body: str) -> list[Segment]:
    """Split a body into literal text and placeholders; raises :class:`InvalidTemplate`."""
    segments: list[Segment] = []
    literal: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith(("{{", "}}"), i):
            literal.append(body[i])
            i += 2
        elif body[i] == "{":
            name, i = _placeholder_at(body, i)
            segments.extend(_text_of(literal))
            literal = []
            segments.append(Placeholder(name))
        elif body[i] == "}":
            raise InvalidTemplate(
                "body", f"'}}' at position {i} closes nothing (write }}}} for a literal brace)"
            )
        else:
            literal.append(body[i])
            i += 1
    segments.extend(_text_of(literal))
    return segments


def _placeholder_at(body: str, start: int) -> tuple[str, int]:
    """The name of the placeholder opened at ``start``, and the position after it."""
    end = body.find("}", start + 1)
    if end < 0 or "{" in body[start + 1 : end]:
        raise InvalidTemplate("body", f"'{{' at position {start} is never closed")
    name = body[start + 1 : end]
    if not _NAME.fullmatch(name):
        raise InvalidTemplate(
            "body",
            f"placeholder {{{name}}} at position {start} must be a name of letters, "
            "digits and underscores (write {{ for a literal brace)",
        )
    return name, end + 1


def _text_of(literal: list[str]) -> list[Segment]:
    return [TextSegment("".join(literal))] if literal else []


def text_length(text: str) -> int:
    """Length as a reader counts it: characters (code points), so 梁 counts 1, not 3 bytes."""
    return len(text)


def check_text_length(channel: ChannelName, text: str, *, what: str = "text") -> None:
    """Enforce the short-text rule of SMS and WeChat; other channels have no limit."""
    if channel not in SHORT_TEXT_CHANNELS:
        return
    length = text_length(text)
    if length > SHORT_TEXT_LIMIT:
        raise TextTooLong(
            f"{channel} {what} is {length} characters, more than the {SHORT_TEXT_LIMIT} allowed"
        )


@dataclass(frozen=True)
class Template:
    key: str
    channel: ChannelName
    body: str
    _segments: tuple[Segment, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise InvalidTemplate(
                "key", "must be lower-case letters, digits and underscores, starting with a letter"
            )
        if self.channel not in CHANNELS:
            raise InvalidTemplate("channel", f"must be one of {', '.join(CHANNELS)}")
        if not self.body.strip():
            raise InvalidTemplate("body", "must not be empty")
        object.__setattr__(self, "_segments", tuple(parse_body(self.body)))

    @property
    def is_task(self) -> bool:
        return self.channel == "task"

    @property
    def placeholders(self) -> list[str]:
        """Names used in the body, each once, in order of first appearance."""
        names: list[str] = []
        for segment in self._segments:
            if isinstance(segment, Placeholder) and segment.name not in names:
                names.append(segment.name)
        return names

    def check_savable(self) -> None:
        """The rules a template must meet before a brand may store it.

        The whole body, placeholders included, must fit the short-text limit: a stored
        template longer than a text may ever be can only ever produce failed deliveries.
        """
        try:
            check_text_length(self.channel, self.body, what="template body")
        except TextTooLong as exc:
            raise InvalidTemplate("body", str(exc)) from exc

    def render(self, variables: Mapping[str, str]) -> str:
        missing = [name for name in self.placeholders if name not in variables]
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            noun = "variable" if len(missing) == 1 else "variables"
            raise MissingVariable(f"template {self.key} needs {noun} {listed}")
        return "".join(
            segment.text if isinstance(segment, TextSegment) else variables[segment.name]
            for segment in self._segments
        )


DEFAULT_TEMPLATES: Mapping[str, Template] = {
    template.key: template
    for template in (
        Template(
            key="welcome_back",
            channel="sms",
            body="{surname}{title}，好久不见！{offer}已放入您的账户，期待您再次光临。",
        ),
        Template(
            key="care_guide_24h",
            channel="sms",
            body="{surname}{title}，感谢今天的光临！护理后24小时内请避免沾水和高温，"
            "如有不适请随时联系门店。",
        ),
        Template(
            key="birthday_greeting",
            channel="sms",
            body="{surname}{title}，生日快乐！门店为您准备了一份生日关怀礼，期待与您相见。",
        ),
        Template(
            key="churn_risk_alert",
            channel="task",
            body="会员 {member_id} 有流失风险，请在24小时内联系回访并记录原因。",
        ),
        Template(
            key="first_visit_voucher",
            channel="sms",
            body="{surname}{title}，欢迎加入！{offer}已放入您的账户，首次到店即可使用，期待为您服务。",
        ),
        Template(
            key="seasonal_package_offer",
            channel="sms",
            body="{surname}{title}，换季护理套餐上新了！{offer}已为您备好，欢迎到店体验。",
        ),
        Template(
            key="seasonal_care_reminder",
            channel="sms",
            body="{surname}{title}，护理已满一周，换季时节请注意保湿防晒，需要复护欢迎随时预约。",
        ),
        Template(
            key="nail_refill_reminder",
            channel="sms",
            body="{surname}{title}，距上次美甲已近3个月，指甲可能需要补甲或重做了，欢迎预约。",
        ),
        Template(
            key="anniversary_gift",
            channel="sms",
            body="{surname}{title}，感谢您一年来的陪伴！周年小礼{offer}已放入您的账户，期待再见。",
        ),
        Template(
            key="deep_cleaning_voucher",
            channel="sms",
            body="{surname}{title}，您的床垫该做深度除螨了，{offer}已放入您的账户，欢迎预约上门服务。",
        ),
        Template(
            key="review_invitation",
            channel="sms",
            body="{surname}{title}，感谢您选择我们的服务！诚邀您为本次服务打分，您的意见对我们很重要。",
        ),
        Template(
            key="birthday_task",
            channel="task",
            body="{surname}{title}（会员 {member_id}）将于 {due_date} 过生日，"
            "请提前准备生日关怀礼并致电问候。",
        ),
        Template(
            key="follow_up_call_task",
            channel="task",
            body="请致电回访{surname}{title}（会员 {member_id}），询问服务后有无不适，"
            "并于 {due_date} 前记录结果。",
        ),
        Template(
            key="deep_cleaning_due_task",
            channel="task",
            body="{surname}{title}（会员 {member_id}）的床垫应于 {due_date} 前做深度除螨，"
            "请联系预约并发送除螨服务券。",
        ),
        Template(
            key="dedicated_technician_task",
            channel="task",
            body="{surname}{title}（会员 {member_id}）已成为高价值会员，"
            "请于 {due_date} 前为其安排专属技师并致电告知。",
        ),
    )
}
"""Built-in templates every brand starts with; a brand overrides one by saving its key."""
