"""The engines the service runs: each brand's active map versions, compiled once each.

A published version never changes, so its engine is compiled the first time a member on it
is seen and kept. Which version is *active* (new members enter with it) can change with a
publication in any replica; each replica looks again after ``refresh`` (two seconds by
default), so for that long after a publication a replica may still enter new members on
the previous version. Members already on a map stay on the version they entered with
until they exit, whatever is active.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from rapport_events.clock import Clock

from journey.application.maps import BUILT_IN_VERSION, DEFAULT_MAP_KEY
from journey.application.ports import JourneyUnitOfWork
from journey.domain.engine import Engine
from journey.domain.maps.model import CompiledMap

CompileVersion = Callable[[Mapping[str, Any], str, int], CompiledMap]
"""``compile(document, brand_id, version)`` of a document that was valid when published."""

REFRESH: Final = timedelta(seconds=2)


class UnknownMapVersion(LookupError):
    """A position or timer names a version the store does not hold (never expected)."""


class RunningMaps:
    def __init__(
        self,
        compile_version: CompileVersion,
        default_document: Callable[[], Mapping[str, Any]],
        clock: Clock,
        *,
        refresh: timedelta = REFRESH,
    ) -> None:
        self._compile = compile_version
        self._default_document = default_document
        self._clock = clock
        self._refresh = refresh
        self._engines: dict[tuple[str, str, int], Engine] = {}
        self._active: dict[str, tuple[datetime, list[tuple[str, int]]]] = {}

    async def active(self, uow: JourneyUnitOfWork, brand_id: str) -> list[Engine]:
        """The engines of the versions new members of the brand enter, by map key."""
        now = self._clock.now()
        cached = self._active.get(brand_id)
        if cached is None or now - cached[0] >= self._refresh or now < cached[0]:
            versions = await uow.maps.active(brand_id)
            keys = [(v.key, v.version) for v in versions]
            for version in versions:
                self._remember(brand_id, version.key, version.version, version.document)
            if DEFAULT_MAP_KEY not in {key for key, _ in keys}:
                keys.insert(0, (DEFAULT_MAP_KEY, BUILT_IN_VERSION))
            cached = (now, keys)
            self._active[brand_id] = cached
        return [await self.version(uow, brand_id, key, number) for key, number in cached[1]]

    async def version(
        self, uow: JourneyUnitOfWork, brand_id: str, key: str, version: int
    ) -> Engine:
        """The engine of one version (a member stays on hers)."""
        engine = self._engines.get((brand_id, key, version))
        if engine is not None:
            return engine
        if key == DEFAULT_MAP_KEY and version == BUILT_IN_VERSION:
            return self._remember(brand_id, key, version, self._default_document())
        stored = await uow.maps.version(brand_id, key, version)
        if stored is None:
            raise UnknownMapVersion(f"map {key} version {version} of brand {brand_id}")
        return self._remember(brand_id, key, version, stored.document)

    def published(self, brand_id: str) -> None:
        """Forget which versions are active for the brand (this replica just published)."""
        self._active.pop(brand_id, None)

    def _remember(
        self, brand_id: str, key: str, version: int, document: Mapping[str, Any]
    ) -> Engine:
        engine = self._engines.get((brand_id, key, version))
        if engine is None:
            engine = Engine(self._compile(document, brand_id, version))
            self._engines[(brand_id, key, version)] = engine
        return engine
