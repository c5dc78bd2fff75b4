"""A map may name the templates the notifier has for the brand: the built-in ones and those
the brand saved, as journey heard of them (``TemplateSaved``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from journey.adapters.map_documents import MapDocuments, NotifierTemplates
from journey.application.commands import ValidateMap
from journey.application.maps import InvalidMap, MapHandlers
from journey.domain.maps.defaults import default_map_document
from rapport_events.contracts.notifier import TemplateSaved
from rapport_platform.auth import Role

from tests.support.http import principal
from tests.unit.journey.fake_service import FakeJourney

NOW = datetime(2026, 3, 1, 10, tzinfo=UTC)
MAP = """
map: spring
title: Spring care
timezone: Asia/Shanghai
initial_stage: member
facts: {}
stages:
  - {key: member, title: Member, priority: 1}
triggers:
  - key: spring_tips
    on: {event: visit.completed}
    touchpoint: {to: member, template: spring_tips, category: service}
"""


def handlers(journey: FakeJourney) -> MapHandlers:
    return MapHandlers(
        journey.begin, journey.clock, MapDocuments(), NotifierTemplates(), default_map_document
    )


def validate(text: str = MAP) -> ValidateMap:
    return ValidateMap(key="spring", text=text, media_type="application/yaml")


async def test_a_template_the_brand_has_not_saved_is_refused_with_its_place() -> None:
    journey = FakeJourney(NOW)
    hq = principal(Role.HQ, brand_id="brd_1")

    with pytest.raises(InvalidMap) as refusal:
        await handlers(journey).validate(hq, validate())

    [problem] = refusal.value.problems
    assert problem.path == "triggers[0].touchpoint.template"
    assert "spring_tips" in problem.message


async def test_a_template_the_brand_saved_is_accepted_for_that_brand_only() -> None:
    journey = FakeJourney(NOW)
    saved = TemplateSaved(
        brand_id="brd_1", key="spring_tips", channel="sms", is_task=False, saved_at=NOW
    )
    await journey.take(saved)

    assert await handlers(journey).validate(principal(Role.HQ, brand_id="brd_1"), validate()) == 1
    with pytest.raises(InvalidMap):
        await handlers(journey).validate(principal(Role.HQ, brand_id="brd_2"), validate())


async def test_a_template_saved_as_a_task_cannot_be_sent_to_the_member() -> None:
    journey = FakeJourney(NOW)
    await journey.take(
        TemplateSaved(
            brand_id="brd_1", key="spring_tips", channel="task", is_task=True, saved_at=NOW
        )
    )

    with pytest.raises(InvalidMap) as refusal:
        await handlers(journey).validate(principal(Role.HQ, brand_id="brd_1"), validate())

    assert refusal.value.problems[0].path == "triggers[0].touchpoint.template"
