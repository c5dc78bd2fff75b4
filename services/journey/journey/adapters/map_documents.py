"""Map documents through the map language (``journey.domain.maps``): reading, compiling,
the schema, and the templates a brand has.

:class:`MapDocuments` is the :class:`~journey.application.maps.MapCompiler` the service
runs: the domain's YAML 1.2 / JSON reader and compiler, with its errors turned into the
application's :class:`~journey.application.maps.InvalidMap` (every error, with its path).
:func:`trusted_templates` is what a *published* version is compiled against when the
service starts running it: it was checked against the notifier's templates when it was
published, and a template removed since fails at the notifier, with its reason on her
timeline, rather than stopping the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport_events.contracts.notifier import BUILT_IN_TEMPLATES

from journey.application.maps import InvalidMap, MapProblem
from journey.application.ports import JourneyUnitOfWork
from journey.domain.maps.compiler import compile_map, parse_map
from journey.domain.maps.errors import InvalidMap as InvalidDocument
from journey.domain.maps.errors import UnsupportedMapFormat
from journey.domain.maps.model import CompiledMap
from journey.domain.maps.schema import map_schema


def _problems(refusal: InvalidDocument) -> InvalidMap:
    return InvalidMap([MapProblem(error.path, error.message) for error in refusal.errors])


class MapDocuments:
    def parse(self, text: str, media_type: str) -> dict[str, Any]:
        try:
            return parse_map(text, media_type)
        except InvalidDocument as refusal:
            raise _problems(refusal) from refusal
        except UnsupportedMapFormat as refusal:
            raise InvalidMap([MapProblem("", refusal.message)]) from refusal

    def compile(
        self,
        document: Mapping[str, Any],
        brand_id: str,
        version: int,
        templates: Mapping[str, bool],
    ) -> CompiledMap:
        try:
            return compile_map(document, brand_id=brand_id, version=version, templates=templates)
        except InvalidDocument as refusal:
            raise _problems(refusal) from refusal

    def schema(self) -> Mapping[str, Any]:
        return map_schema()


def trusted_templates(document: Mapping[str, Any]) -> dict[str, bool]:
    """The templates a published document names, each a task where its touchpoint is a
    staff one: what it was checked against when it was published."""
    templates: dict[str, bool] = {}
    for trigger in document.get("triggers") or []:
        touchpoint = trigger.get("touchpoint") if isinstance(trigger, Mapping) else None
        if not isinstance(touchpoint, Mapping):
            continue
        if isinstance(touchpoint.get("template"), str):
            templates[touchpoint["template"]] = touchpoint.get("to") != "member"
        suggestion = touchpoint.get("suggestion")
        if isinstance(suggestion, Mapping) and isinstance(suggestion.get("template"), str):
            templates[suggestion["template"]] = False
    return templates


class NotifierTemplates:
    """The notifier's built-in templates (``BUILT_IN_TEMPLATES``), which every brand has,
    and those the brand saved of its own, as journey's replica heard of them
    (``TemplateSaved``)."""

    async def templates(self, uow: JourneyUnitOfWork, brand_id: str) -> Mapping[str, bool]:
        return {**BUILT_IN_TEMPLATES, **await uow.templates.of(brand_id)}
