import pytest
from notifier.adapters.memory import in_memory_database
from notifier.application.commands import SaveTemplate
from notifier.application.handlers import NotifierHandlers
from notifier.application.queries import NotifierQueries
from notifier.application.templates import EffectiveTemplate
from notifier.domain.errors import InvalidTemplate, NotPermitted
from notifier.domain.templates import DEFAULT_TEMPLATES, ChannelName
from rapport_events.uow import InMemoryDatabase
from rapport_platform.auth import Principal, Role
from rapport_platform.pagination import MAX_LIMIT
from rapport_platform.refusals import OutOfScope

from tests.support.http import BRAND, NOW, principal
from tests.unit.notifier.builders import handlers_on, queries_on

HQ = principal(Role.HQ, subject="stf_hq")
OTHER_BRAND = "brd_2"


@pytest.fixture
def database() -> InMemoryDatabase:
    return in_memory_database()


@pytest.fixture
def handlers(database: InMemoryDatabase) -> NotifierHandlers:
    return handlers_on(database)


@pytest.fixture
def queries(database: InMemoryDatabase) -> NotifierQueries:
    return queries_on(database)


async def save(
    handlers: NotifierHandlers,
    key: str,
    body: str,
    channel: ChannelName = "sms",
    *,
    caller: Principal = HQ,
    brand_id: str | None = None,
) -> EffectiveTemplate:
    command = SaveTemplate(key=key, channel=channel, body=body, brand_id=brand_id)
    return await handlers.save_template(caller, command)


async def every_template(
    queries: NotifierQueries, caller: Principal = HQ
) -> list[EffectiveTemplate]:
    page = await queries.templates(caller, limit=MAX_LIMIT)
    assert page.next_cursor is None
    return page.items


async def test_a_brand_without_its_own_templates_uses_the_defaults(
    queries: NotifierQueries,
) -> None:
    found = await every_template(queries)

    assert [e.template.key for e in found] == sorted(DEFAULT_TEMPLATES)
    assert {e.source for e in found} == {"default"}


async def test_a_saved_template_replaces_the_default_for_that_brand_only(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    saved = await save(handlers, "welcome_back", "{surname}{title}，欢迎回来！", "wechat")

    assert (saved.source, saved.updated_by, saved.updated_at) == ("brand", "stf_hq", NOW)
    mine = {e.template.key: e for e in await every_template(queries)}["welcome_back"]
    theirs = {
        e.template.key: e
        for e in await every_template(queries, principal(Role.HQ, brand_id=OTHER_BRAND))
    }["welcome_back"]
    assert mine == saved and mine.template.body == "{surname}{title}，欢迎回来！"
    assert theirs == EffectiveTemplate(DEFAULT_TEMPLATES["welcome_back"], "default")


async def test_a_brand_may_add_templates_of_its_own(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    await save(handlers, "spring_offer", "{surname}{title}，春季护理季开始了", "app")

    keys = [e.template.key for e in await every_template(queries)]

    assert keys == sorted([*DEFAULT_TEMPLATES, "spring_offer"])


async def test_templates_come_in_pages_by_key(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    for key in ("aa_first", "care_guide_24h", "zz_last"):
        await save(handlers, key, "{surname}您好")
    expected = sorted({*DEFAULT_TEMPLATES, "aa_first", "zz_last"})

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await queries.templates(HQ, limit=2, cursor=cursor)
        seen.extend(e.template.key for e in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == expected


async def test_an_sms_template_over_seventy_characters_is_not_saved(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    with pytest.raises(InvalidTemplate) as refused:
        await save(handlers, "welcome_back", "好" * 71)

    assert refused.value.field == "body"
    assert {e.source for e in await every_template(queries)} == {"default"}


async def test_a_template_with_a_malformed_placeholder_is_not_saved(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    with pytest.raises(InvalidTemplate, match="placeholder"):
        await save(handlers, "t", "会员 {member id}", "task")

    assert [e.template.key for e in await every_template(queries)] == sorted(DEFAULT_TEMPLATES)


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.ASSOCIATE, Role.INTEGRATION])
async def test_only_hq_and_platform_admins_change_templates(
    handlers: NotifierHandlers, role: Role
) -> None:
    with pytest.raises(NotPermitted, match=f"a {role} may not change templates"):
        await save(handlers, "welcome_back", "您好", caller=principal(role))


async def test_a_platform_admin_saves_for_the_brand_she_names(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    await save(
        handlers, "spring_offer", "您好", caller=principal(Role.PLATFORM_ADMIN), brand_id=BRAND
    )

    assert "spring_offer" in [e.template.key for e in await every_template(queries)]


async def test_another_brand_does_not_exist_for_hq(
    handlers: NotifierHandlers, queries: NotifierQueries
) -> None:
    with pytest.raises(OutOfScope):
        await save(handlers, "spring_offer", "您好", brand_id=OTHER_BRAND)
    with pytest.raises(OutOfScope):
        await queries.templates(HQ, OTHER_BRAND)
