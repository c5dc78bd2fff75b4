"""Which template a brand uses for a key: its own if saved, else the built-in default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from notifier.application.ports import StoredTemplate, TemplateStore
from notifier.domain.templates import DEFAULT_TEMPLATES, ChannelName, Template

TemplateSource = Literal["default", "brand"]


@dataclass(frozen=True)
class EffectiveTemplate:
    template: Template
    source: TemplateSource
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def of(cls, stored: StoredTemplate) -> EffectiveTemplate:
        return cls(stored.template, "brand", stored.updated_at, stored.updated_by)


async def effective_template(store: TemplateStore, brand_id: str, key: str) -> Template | None:
    stored = await store.get(brand_id, key)
    if stored is not None:
        return stored.template
    return DEFAULT_TEMPLATES.get(key)


async def effective_templates(store: TemplateStore, brand_id: str) -> list[EffectiveTemplate]:
    """Every template the brand can use, by key."""
    merged = {key: EffectiveTemplate(t, "default") for key, t in DEFAULT_TEMPLATES.items()}
    for key, stored in (await store.for_brand(brand_id)).items():
        merged[key] = EffectiveTemplate.of(stored)
    return [merged[key] for key in sorted(merged)]


async def save_template(
    store: TemplateStore,
    brand_id: str,
    *,
    key: str,
    channel: ChannelName,
    body: str,
    by: str,
    now: datetime,
) -> EffectiveTemplate:
    """Validate and store a brand's template; raises ``InvalidTemplate`` naming the field."""
    template = Template(key=key, channel=channel, body=body)
    template.check_savable()
    stored = StoredTemplate(template=template, updated_at=now, updated_by=by)
    await store.save(brand_id, stored)
    return EffectiveTemplate.of(stored)
