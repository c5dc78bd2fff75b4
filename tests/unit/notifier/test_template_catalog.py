from datetime import UTC, datetime

import pytest
from notifier.application.templates import effective_template, effective_templates, save_template
from notifier.domain.errors import InvalidTemplate
from notifier.domain.templates import DEFAULT_TEMPLATES

from tests.unit.notifier.fakes import InMemoryTemplates

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def test_a_brand_without_its_own_templates_uses_the_defaults() -> None:
    found = await effective_templates(InMemoryTemplates(), "b-1")

    assert [e.template.key for e in found] == sorted(DEFAULT_TEMPLATES)
    assert {e.source for e in found} == {"default"}


async def test_a_saved_template_replaces_the_default_for_that_brand_only() -> None:
    store = InMemoryTemplates()

    saved = await save_template(
        store,
        "b-1",
        key="welcome_back",
        channel="wechat",
        body="{surname}{title}，欢迎回来！",
        by="hq-1",
        now=NOW,
    )

    assert (saved.source, saved.updated_by, saved.updated_at) == ("brand", "hq-1", NOW)
    mine = await effective_template(store, "b-1", "welcome_back")
    theirs = await effective_template(store, "b-2", "welcome_back")
    assert mine is not None and mine.body == "{surname}{title}，欢迎回来！"
    assert theirs == DEFAULT_TEMPLATES["welcome_back"]


async def test_a_brand_may_add_templates_of_its_own() -> None:
    store = InMemoryTemplates()
    await save_template(
        store,
        "b-1",
        key="spring_offer",
        channel="app",
        body="{surname}{title}，春季护理季开始了",
        by="hq-1",
        now=NOW,
    )

    keys = [e.template.key for e in await effective_templates(store, "b-1")]

    assert "spring_offer" in keys and len(keys) == len(DEFAULT_TEMPLATES) + 1


async def test_an_sms_template_over_seventy_characters_is_not_saved() -> None:
    store = InMemoryTemplates()

    with pytest.raises(InvalidTemplate) as refused:
        await save_template(
            store, "b-1", key="welcome_back", channel="sms", body="好" * 71, by="hq-1", now=NOW
        )

    assert refused.value.field == "body"
    assert store.saved == {}


async def test_a_template_with_a_malformed_placeholder_is_not_saved() -> None:
    store = InMemoryTemplates()

    with pytest.raises(InvalidTemplate, match="placeholder"):
        await save_template(
            store, "b-1", key="t", channel="task", body="会员 {member id}", by="hq-1", now=NOW
        )

    assert store.saved == {}
