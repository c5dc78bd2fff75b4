"""The TemplateStore contract: a brand's own templates, replaced by key, listed by key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifier.application.ports import StoredTemplate
from notifier.domain.templates import ChannelName, Template

from tests.contract.notifier.conftest import Backend
from tests.support.http import BRAND, NOW
from tests.unit.notifier.builders import STAFF

OTHER_BRAND = "brd_" + "b" * 32


def stored(
    key: str, body: str = "{surname}{title}您好", channel: ChannelName = "sms"
) -> StoredTemplate:
    return StoredTemplate(Template(key=key, channel=channel, body=body), NOW, STAFF)


async def get(backend: Backend, key: str, brand_id: str = BRAND) -> StoredTemplate | None:
    async with backend.unit_of_work() as uow:
        return await uow.templates.get(brand_id, key)


async def keys_after(
    backend: Backend, after_key: str | None, count: int = 100, brand_id: str = BRAND
) -> list[str]:
    async with backend.unit_of_work() as uow:
        found = await uow.templates.page(brand_id, after_key, count)
    return [each.template.key for each in found]


async def test_a_brand_without_templates_has_none(backend: Backend) -> None:
    assert await get(backend, "welcome_back") is None
    assert await keys_after(backend, None) == []


async def test_a_saved_template_reads_back_whole(backend: Backend) -> None:
    task = stored("churn_risk_alert", "会员 {member_id} 有流失风险", "task")

    await backend.save_templates(BRAND, task)

    assert await get(backend, "churn_risk_alert") == task


async def test_saving_a_key_again_replaces_the_brands_version(backend: Backend) -> None:
    newer = StoredTemplate(
        Template(key="welcome_back", channel="wechat", body="{surname}{title}，欢迎回来"),
        NOW + timedelta(hours=1),
        "stf_other",
    )
    await backend.save_templates(BRAND, stored("welcome_back"))

    await backend.save_templates(BRAND, newer)

    assert await get(backend, "welcome_back") == newer
    assert await keys_after(backend, None) == ["welcome_back"]


async def test_templates_belong_to_one_brand(backend: Backend) -> None:
    ours = stored("welcome_back")
    await backend.save_templates(BRAND, ours)

    assert await get(backend, "welcome_back", OTHER_BRAND) is None
    assert await keys_after(backend, None, brand_id=OTHER_BRAND) == []
    assert await get(backend, "welcome_back") == ours


async def test_a_rolled_back_save_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        async with backend.unit_of_work() as uow:
            await uow.templates.save(BRAND, stored("welcome_back"))
            assert await uow.templates.get(BRAND, "welcome_back") is not None
            raise RuntimeError("abort")

    assert await get(backend, "welcome_back") is None


async def test_pages_go_by_key_compared_as_code_points(backend: Backend) -> None:
    # Locale-aware orders would put "a_b" after "ab" (they skip underscores); code points don't.
    keys = ["ab", "a_b", "a1", "b", "a"]
    await backend.save_templates(BRAND, *(stored(key) for key in keys))
    await backend.save_templates(OTHER_BRAND, stored("a0"))

    assert await keys_after(backend, None) == ["a", "a1", "a_b", "ab", "b"]
    assert await keys_after(backend, None, count=2) == ["a", "a1"]
    assert await keys_after(backend, "a1", count=2) == ["a_b", "ab"]
    assert await keys_after(backend, "ab") == ["b"]
    assert await keys_after(backend, "b") == []
