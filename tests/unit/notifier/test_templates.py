import pytest
from notifier.domain.errors import InvalidTemplate, MissingVariable, TextTooLong
from notifier.domain.templates import (
    DEFAULT_TEMPLATES,
    SHORT_TEXT_LIMIT,
    Template,
    check_text_length,
)
from rapport_events.contracts.notifier import BUILT_IN_TEMPLATES

WELCOME_BACK = "{surname}{title}，好久不见！{offer}已放入您的账户，期待您再次光临。"


def test_renders_every_placeholder_from_the_variables() -> None:
    template = Template(key="welcome_back", channel="sms", body=WELCOME_BACK)

    text = template.render({"surname": "梁", "title": "小姐", "offer": "50元护理券"})

    assert text == "梁小姐，好久不见！50元护理券已放入您的账户，期待您再次光临。"


def test_a_missing_variable_is_named_in_the_error() -> None:
    template = Template(key="welcome_back", channel="sms", body=WELCOME_BACK)

    with pytest.raises(MissingVariable) as refused:
        template.render({"title": "小姐", "offer": "50元护理券"})

    assert refused.value.reason == "template welcome_back needs variable 'surname'"


def test_every_missing_variable_is_named_in_order_of_use() -> None:
    template = Template(key="welcome_back", channel="sms", body=WELCOME_BACK)

    with pytest.raises(MissingVariable, match=r"needs variables 'surname', 'offer'$"):
        template.render({"title": "小姐"})


def test_unused_variables_are_ignored() -> None:
    template = Template(key="hello", channel="wechat", body="{surname}{title}您好")

    assert template.render({"surname": "王", "title": "先生", "offer": "x"}) == "王先生您好"


def test_placeholders_are_listed_once_in_order_of_first_use() -> None:
    template = Template(key="t", channel="app", body="{a}{b}{a}{c}")

    assert template.placeholders == ["a", "b", "c"]


def test_doubled_braces_are_literal_braces() -> None:
    template = Template(key="t", channel="app", body="{{code}} {name}}}")

    assert template.placeholders == ["name"]
    assert template.render({"name": "x"}) == "{code} x}"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("您好 {surname", "never closed"),
        ("您好 {surname {title}", "'{' at position 3 is never closed"),
        ("您好 {}", "placeholder {}"),
        ("您好 {0}", "placeholder {0}"),
        ("您好 {member.name}", "placeholder {member.name}"),
        ("您好 {name!r}", "placeholder {name!r}"),
        ("您好 {name:>10}", "placeholder {name:>10}"),
        ("您好 {姓}", "placeholder {姓}"),
        ("您好 name}", "closes nothing"),
    ],
)
def test_malformed_placeholders_are_refused(body: str, problem: str) -> None:
    with pytest.raises(InvalidTemplate) as refused:
        Template(key="t", channel="sms", body=body)

    assert refused.value.field == "body"
    assert problem in refused.value.message


@pytest.mark.parametrize("key", ["Welcome", "1st", "welcome-back", "", "a" * 65])
def test_keys_are_lower_case_words(key: str) -> None:
    with pytest.raises(InvalidTemplate) as refused:
        Template(key=key, channel="sms", body="您好")

    assert refused.value.field == "key"


def test_an_empty_body_is_refused() -> None:
    with pytest.raises(InvalidTemplate, match="body: must not be empty"):
        Template(key="t", channel="sms", body="  ")


def test_seventy_chinese_characters_fit_an_sms_although_they_take_210_bytes() -> None:
    body = "好" * SHORT_TEXT_LIMIT
    assert len(body.encode()) == 210

    Template(key="t", channel="sms", body=body).check_savable()


@pytest.mark.parametrize("channel", ["sms", "wechat"])
def test_a_short_text_template_over_seventy_characters_cannot_be_saved(channel: str) -> None:
    template = Template(key="t", channel=channel, body="好" * 71)  # type: ignore[arg-type]

    with pytest.raises(InvalidTemplate) as refused:
        template.check_savable()

    assert refused.value.field == "body"
    assert "71 characters, more than the 70 allowed" in refused.value.message


@pytest.mark.parametrize("channel", ["task", "app"])
def test_tasks_and_app_pushes_have_no_length_limit(channel: str) -> None:
    template = Template(key="t", channel=channel, body="请回访" * 100)  # type: ignore[arg-type]

    template.check_savable()
    check_text_length(template.channel, template.body)


def test_a_rendered_text_over_seventy_characters_is_refused_for_sms() -> None:
    template = Template(key="long", channel="sms", body="{surname}{title}，" + "好" * 60)
    text = template.render({"surname": "欧阳", "title": "女士女士女士女士"})

    with pytest.raises(TextTooLong, match="sms text is 71 characters, more than the 70 allowed"):
        check_text_length("sms", text)


def test_the_built_in_templates_are_the_ones_the_contract_lists() -> None:
    assert {key: template.is_task for key, template in DEFAULT_TEMPLATES.items()} == dict(
        BUILT_IN_TEMPLATES
    )
    assert DEFAULT_TEMPLATES["welcome_back"].body == WELCOME_BACK
    assert DEFAULT_TEMPLATES["churn_risk_alert"].channel == "task"


@pytest.mark.parametrize("key", sorted(DEFAULT_TEMPLATES))
def test_every_built_in_template_may_be_saved_as_it_is(key: str) -> None:
    DEFAULT_TEMPLATES[key].check_savable()


MEMBER_MESSAGES = sorted(key for key, is_task in BUILT_IN_TEMPLATES.items() if not is_task)
TASKS = sorted(key for key, is_task in BUILT_IN_TEMPLATES.items() if is_task)
# Longer than journey's values are likely to be: a two-character surname, a long voucher name.
GENEROUS = {
    "surname": "欧阳",
    "title": "女士",
    "member_id": "mbr_" + "1" * 32,
    "store_id": "sto_" + "2" * 32,
    "offer": "五十元深层护理体验券",
    "due_date": "2026-09-15",
}


@pytest.mark.parametrize("key", MEMBER_MESSAGES)
def test_every_built_in_member_message_is_an_sms_addressed_by_surname_and_title_that_fits(
    key: str,
) -> None:
    template = DEFAULT_TEMPLATES[key]

    text = template.render({name: GENEROUS[name] for name in template.placeholders})

    assert template.channel == "sms"
    assert text.startswith("欧阳女士，")
    assert len(text) <= SHORT_TEXT_LIMIT
    assert "due_date" not in template.placeholders


@pytest.mark.parametrize("key", TASKS)
def test_every_built_in_task_names_its_member_and_uses_only_known_variables(key: str) -> None:
    template = DEFAULT_TEMPLATES[key]

    text = template.render({name: GENEROUS[name] for name in template.placeholders})

    assert template.channel == "task"
    assert GENEROUS["member_id"] in text


@pytest.mark.parametrize("key", sorted(DEFAULT_TEMPLATES))
def test_built_in_templates_need_only_the_variables_journey_supplies(key: str) -> None:
    assert set(DEFAULT_TEMPLATES[key].placeholders) <= set(GENEROUS)


def test_the_dated_tasks_say_when() -> None:
    for key in ("birthday_task", "follow_up_call_task", "deep_cleaning_due_task"):
        assert "due_date" in DEFAULT_TEMPLATES[key].placeholders, key
