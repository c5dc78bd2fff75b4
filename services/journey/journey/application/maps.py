"""A brand's journey maps: drafts HQ edits, versions it publishes, and the built-in default.

A brand that never published a map of its own runs the default map (key ``lifecycle``),
shown as its version 0: the built-in document, which no one edits in place. Saving a draft
of ``lifecycle`` and publishing it makes the brand's own version 1; republishing version 0
goes back to the built-in document as a new version.

Publishing compiles the draft (through :class:`MapCompiler`) with the version number it is
about to get, under the lock of the map's row, and writes the version in the same
transaction: a map that does not compile is never published, and two publications at once
get consecutive numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from rapport_events.clock import Clock
from rapport_platform.auth import Principal
from rapport_platform.pagination import Page, checked_limit, decode_cursor, page_of
from rapport_platform.refusals import OutOfScope, Refusal

from journey.application.commands import (
    PublishMap,
    RepublishMapVersion,
    SaveMapDraft,
    ValidateMap,
)
from journey.application.ports import JourneyUnitOfWork, MapRecord, MapVersion

DEFAULT_MAP_KEY: Final = "lifecycle"
BUILT_IN_VERSION: Final = 0
BUILT_IN_AUTHOR: Final = "rapport"
MEDIA_TYPES: Final = ("application/yaml", "application/json")


@dataclass(frozen=True)
class MapProblem:
    """One thing wrong with a map document: where (``stages[2].entry.when``) and why."""

    path: str
    message: str


class InvalidMap(Refusal):
    """A map document that does not parse or compile; ``problems`` lists every fault."""

    def __init__(self, problems: Sequence[MapProblem]) -> None:
        listed = list(problems) or [MapProblem("", "the map is invalid")]
        count = len(listed)
        super().__init__(
            f"the map has {count} error{'s' if count != 1 else ''}: "
            + "; ".join(f"{p.path or '(document)'}: {p.message}" for p in listed[:5])
        )
        self.problems = listed


class NothingToPublish(Refusal):
    def __init__(self, key: str) -> None:
        super().__init__(f"map {key} has no draft to publish; save one first")


class AlreadyRunning(Refusal):
    def __init__(self, key: str, version: int) -> None:
        super().__init__(f"map {key} already runs version {version}")


class MapCompiler(Protocol):
    """Reads and checks map documents; the compiler work provides the real one."""

    def parse(self, text: str, media_type: str) -> dict[str, Any]:
        """The document ``text`` holds (YAML or JSON); :class:`InvalidMap` if it holds no
        mapping."""
        ...

    def compile(
        self,
        document: Mapping[str, Any],
        brand_id: str,
        version: int,
        templates: Mapping[str, bool],
    ) -> object:
        """The compiled map; :class:`InvalidMap` with every problem when it does not compile."""
        ...

    def schema(self) -> Mapping[str, Any]:
        """The JSON Schema map documents follow."""
        ...


class TemplateCatalogue(Protocol):
    async def templates(self, uow: JourneyUnitOfWork, brand_id: str) -> Mapping[str, bool]:
        """The notifier templates the brand has, each with whether it is a staff task."""
        ...


DefaultDocument = Callable[[], Mapping[str, Any]]


@dataclass(frozen=True)
class VersionSummary:
    version: int
    title: str
    published_at: datetime | None
    """None for the built-in version 0."""
    published_by: str
    republished_from: int | None
    built_in: bool

    @classmethod
    def of(cls, version: MapVersion) -> VersionSummary:
        return cls(
            version=version.version,
            title=version.title,
            published_at=version.published_at,
            published_by=version.published_by,
            republished_from=version.republished_from,
            built_in=False,
        )


@dataclass(frozen=True)
class VersionView:
    key: str
    summary: VersionSummary
    document: Mapping[str, Any]
    active: bool


@dataclass(frozen=True)
class MapSummary:
    key: str
    title: str
    active_version: int | None
    """The version members are put on; 0 is the built-in default; None before any."""
    latest_version: int
    draft_saved_at: datetime | None
    draft_saved_by: str | None
    built_in: bool
    """True when the brand has nothing of its own for this map but the default."""


@dataclass(frozen=True)
class MapView:
    summary: MapSummary
    draft: Mapping[str, Any] | None
    versions: list[VersionSummary]


def _title(document: Mapping[str, Any], key: str) -> str:
    title = document.get("title")
    return title if isinstance(title, str) and title.strip() else key


def _active(record: MapRecord | None, key: str) -> int | None:
    if record is not None and record.active_version is not None:
        return record.active_version
    return BUILT_IN_VERSION if key == DEFAULT_MAP_KEY else None


class MapBook:
    """The built-in default beside a brand's own maps."""

    def __init__(self, default_document: DefaultDocument) -> None:
        self._default_document = default_document

    def default(self) -> Mapping[str, Any]:
        return self._default_document()

    def built_in_summary(self) -> VersionSummary:
        return VersionSummary(
            version=BUILT_IN_VERSION,
            title=_title(self.default(), DEFAULT_MAP_KEY),
            published_at=None,
            published_by=BUILT_IN_AUTHOR,
            republished_from=None,
            built_in=True,
        )

    def summary(self, key: str, record: MapRecord | None) -> MapSummary:
        if record is None:
            return MapSummary(
                key=DEFAULT_MAP_KEY,
                title=_title(self.default(), DEFAULT_MAP_KEY),
                active_version=BUILT_IN_VERSION,
                latest_version=BUILT_IN_VERSION,
                draft_saved_at=None,
                draft_saved_by=None,
                built_in=True,
            )
        return MapSummary(
            key=record.key,
            title=record.title,
            active_version=_active(record, key),
            latest_version=record.latest_version,
            draft_saved_at=record.draft_saved_at,
            draft_saved_by=record.draft_saved_by,
            built_in=False,
        )


class MapHandlers:
    """What HQ does to its maps; each command one unit of work."""

    def __init__(
        self,
        unit_of_work: Callable[[], JourneyUnitOfWork],
        clock: Clock,
        compiler: MapCompiler,
        templates: TemplateCatalogue,
        default_document: DefaultDocument,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._compiler = compiler
        self._templates = templates
        self._book = MapBook(default_document)

    def _parsed(self, key: str, text: str, media_type: str) -> dict[str, Any]:
        document = self._compiler.parse(text, media_type)
        named = document.get("map")
        if named is not None and named != key:
            raise InvalidMap([MapProblem("map", f"is {named!r}; the map's key is {key!r}")])
        return document

    async def _compiled(
        self, uow: JourneyUnitOfWork, document: Mapping[str, Any], brand_id: str, version: int
    ) -> None:
        templates = await self._templates.templates(uow, brand_id)
        self._compiler.compile(document, brand_id, version, templates)

    async def save_draft(self, caller: Principal, command: SaveMapDraft) -> MapView:
        brand_id = caller.require_brand()
        document = self._parsed(command.key, command.text, command.media_type)
        async with self._unit_of_work() as uow:
            record = await uow.maps.save_draft(
                brand_id,
                command.key,
                _title(document, command.key),
                document,
                self._clock.now(),
                caller.subject,
            )
            versions = await uow.maps.versions(brand_id, command.key)
        return self._view(command.key, record, versions)

    async def validate(self, caller: Principal, command: ValidateMap) -> int:
        """The version the document would get; :class:`InvalidMap` if it does not compile."""
        brand_id = caller.require_brand()
        document = self._parsed(command.key, command.text, command.media_type)
        async with self._unit_of_work() as uow:
            record = await uow.maps.get(brand_id, command.key)
            version = (record.latest_version if record else 0) + 1
            await self._compiled(uow, document, brand_id, version)
        return version

    async def publish(self, caller: Principal, command: PublishMap) -> VersionView:
        brand_id = caller.require_brand()
        async with self._unit_of_work() as uow:
            record = await uow.maps.lock(brand_id, command.key)
            if record is None or record.draft is None:
                if record is None and command.key != DEFAULT_MAP_KEY:
                    raise OutOfScope("map", command.key)
                raise NothingToPublish(command.key)
            return await self._publish(uow, caller, record, record.draft, None)

    async def republish(self, caller: Principal, command: RepublishMapVersion) -> VersionView:
        brand_id = caller.require_brand()
        key = command.key
        async with self._unit_of_work() as uow:
            record = await uow.maps.lock(brand_id, key)
            if command.version == BUILT_IN_VERSION and key == DEFAULT_MAP_KEY:
                if record is None:
                    raise AlreadyRunning(key, BUILT_IN_VERSION)
                document: Mapping[str, Any] = self._book.default()
            else:
                earlier = await uow.maps.version(brand_id, key, command.version)
                if record is None or earlier is None:
                    raise OutOfScope("map version", f"{key} v{command.version}")
                document = earlier.document
            return await self._publish(uow, caller, record, document, command.version)

    async def _publish(
        self,
        uow: JourneyUnitOfWork,
        caller: Principal,
        record: MapRecord,
        document: Mapping[str, Any],
        republished_from: int | None,
    ) -> VersionView:
        await self._compiled(uow, document, record.brand_id, record.latest_version + 1)
        published = await uow.maps.publish(
            record.brand_id,
            record.key,
            document,
            _title(document, record.key),
            self._clock.now(),
            caller.subject,
            republished_from,
        )
        return VersionView(record.key, VersionSummary.of(published), published.document, True)

    def _view(self, key: str, record: MapRecord, versions: list[MapVersion]) -> MapView:
        return _map_view(self._book, key, record, versions)


def _map_view(
    book: MapBook, key: str, record: MapRecord | None, versions: list[MapVersion]
) -> MapView:
    summaries = [VersionSummary.of(version) for version in versions]
    if key == DEFAULT_MAP_KEY:
        summaries.insert(0, book.built_in_summary())
    return MapView(
        summary=book.summary(key, record),
        draft=record.draft if record is not None else None,
        versions=summaries,
    )


class MapQueries:
    def __init__(
        self,
        unit_of_work: Callable[[], JourneyUnitOfWork],
        compiler: MapCompiler,
        default_document: DefaultDocument,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._compiler = compiler
        self._book = MapBook(default_document)

    def schema(self) -> Mapping[str, Any]:
        return self._compiler.schema()

    async def maps(self, caller: Principal, *, limit: int, cursor: str | None) -> Page[MapSummary]:
        brand_id = caller.require_brand()
        checked_limit(limit)
        after = str(decode_cursor(cursor, (str,))[0]) if cursor else None
        async with self._unit_of_work() as uow:
            records = await uow.maps.page(brand_id, after, limit + 1)
            own_default = await uow.maps.get(brand_id, DEFAULT_MAP_KEY)
        summaries = [self._book.summary(record.key, record) for record in records]
        if own_default is None and (after is None or after < DEFAULT_MAP_KEY):
            summaries.append(self._book.summary(DEFAULT_MAP_KEY, None))
            summaries.sort(key=lambda summary: summary.key)
        return page_of(summaries, limit, key=lambda summary: (summary.key,))

    async def map(self, caller: Principal, key: str) -> MapView:
        brand_id = caller.require_brand()
        async with self._unit_of_work() as uow:
            record = await uow.maps.get(brand_id, key)
            versions = await uow.maps.versions(brand_id, key)
        if record is None and key != DEFAULT_MAP_KEY:
            raise OutOfScope("map", key)
        return _map_view(self._book, key, record, versions)

    async def version(self, caller: Principal, key: str, version: int) -> VersionView:
        brand_id = caller.require_brand()
        async with self._unit_of_work() as uow:
            record = await uow.maps.get(brand_id, key)
            found = await uow.maps.version(brand_id, key, version)
        active = _active(record, key) == version
        if version == BUILT_IN_VERSION and key == DEFAULT_MAP_KEY:
            return VersionView(key, self._book.built_in_summary(), self._book.default(), active)
        if found is None:
            raise OutOfScope("map version", f"{key} v{version}")
        return VersionView(key, VersionSummary.of(found), found.document, active)
