"""Reading map documents, and the stand-ins bootstrap uses until the map compiler is wired.

:class:`DocumentParser` is the real reading of a map's text (YAML or JSON, into JSON
values: YAML dates become ISO text, as a JSON document would carry them).
:class:`UncheckedCompiler` accepts any document: it stands in for the compiler
(``journey.domain.maps.compiler``) until that is wired in ``bootstrap.py``, and must not
reach production. :data:`PLACEHOLDER_DEFAULT` likewise stands in for the default map.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

import yaml

from journey.application.maps import MEDIA_TYPES, InvalidMap, MapProblem


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


class DocumentParser:
    def parse(self, text: str, media_type: str) -> dict[str, Any]:
        if media_type not in MEDIA_TYPES:
            raise InvalidMap([MapProblem("", f"send the map as one of {', '.join(MEDIA_TYPES)}")])
        try:
            loaded = json.loads(text) if media_type == "application/json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as error:
            raise InvalidMap([MapProblem("", f"is not valid {media_type}: {error}")]) from error
        if not isinstance(loaded, dict):
            raise InvalidMap([MapProblem("", "must be a mapping (an object) at the top")])
        try:
            document: dict[str, Any] = json.loads(json.dumps(loaded, default=_json_value))
        except (TypeError, ValueError) as error:
            raise InvalidMap([MapProblem("", f"holds a value JSON cannot: {error}")]) from error
        return document


class UncheckedCompiler(DocumentParser):
    """Accepts every document; see the module notes."""

    def compile(
        self,
        document: Mapping[str, Any],
        brand_id: str,
        version: int,
        templates: Mapping[str, bool],
    ) -> object:
        return document

    def schema(self) -> Mapping[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Journey map",
            "type": "object",
        }


class StaticTemplates:
    def __init__(self, templates: Mapping[str, bool] | None = None) -> None:
        self._templates = dict(templates or {})

    def templates(self, brand_id: str) -> Mapping[str, bool]:
        return self._templates


PLACEHOLDER_DEFAULT: Final[Mapping[str, Any]] = {
    "key": "lifecycle",
    "title": "Lifecycle",
    "stages": [{"key": "new", "title": "New", "priority": 0}],
    "initial_stage": "new",
    "triggers": [],
}


def placeholder_default() -> Mapping[str, Any]:
    return PLACEHOLDER_DEFAULT
