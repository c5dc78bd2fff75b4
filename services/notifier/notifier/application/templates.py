"""Which template a brand uses for a key: its own if saved, else the built-in default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from notifier.application.ports import StoredTemplate, TemplateStore
from notifier.domain.templates import DEFAULT_TEMPLATES, Template

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


async def effective_templates(
    store: TemplateStore, brand_id: str, after_key: str | None, count: int
) -> list[EffectiveTemplate]:
    """Up to ``count`` of the templates the brand can use, by key, after ``after_key``.

    The first ``count`` keys of the merged list are among the first ``count`` of the brand's
    own and the defaults', so reading that many of the brand's is enough.
    """
    merged = {
        key: EffectiveTemplate(template, "default")
        for key, template in DEFAULT_TEMPLATES.items()
        if after_key is None or key > after_key
    }
    for stored in await store.page(brand_id, after_key, count):
        merged[stored.template.key] = EffectiveTemplate.of(stored)
    return [merged[key] for key in sorted(merged)[:count]]
