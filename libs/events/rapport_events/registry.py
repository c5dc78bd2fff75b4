"""Which event types exist, in which versions, and how to read older versions.

Producers always write the newest version of a contract. Consumers decode through the
registry, which upcasts older payloads step by step (v1 -> v2 -> ...) so handlers only ever
see the current model. A type or version the registry does not know is a
:class:`MalformedEvent`: it goes to the dead-letter topic rather than being guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from pydantic import ValidationError

from rapport_events.envelope import (
    DomainEvent,
    EventEnvelope,
    MalformedEvent,
    describe_validation_error,
)

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]
E = TypeVar("E", bound=type[DomainEvent])


class UnknownEventType(MalformedEvent):
    pass


class UnsupportedEventVersion(MalformedEvent):
    pass


class EventRegistry:
    def __init__(self) -> None:
        self._models: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def contract(self, model: E) -> E:
        """Class decorator: register an event contract under its ``event_type``."""
        existing = self._models.get(model.event_type)
        if existing is not None and existing is not model:
            raise ValueError(f"event type {model.event_type!r} is registered twice")
        self._models[model.event_type] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: a function turning ``from_version`` data into ``from_version + 1``."""

        def register(function: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = function
            return function

        return register

    def model_for(self, event_type: str) -> type[DomainEvent]:
        try:
            return self._models[event_type]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r}") from None

    def knows(self, event_type: str) -> bool:
        return event_type in self._models

    def __iter__(self) -> Iterator[type[DomainEvent]]:
        return iter(sorted(self._models.values(), key=lambda model: model.event_type))

    def upcast(self, event_type: str, version: int, data: Payload) -> Payload:
        model = self.model_for(event_type)
        if version > model.event_version:
            raise UnsupportedEventVersion(
                f"{event_type} version {version} is newer than the known "
                f"version {model.event_version}"
            )
        while version < model.event_version:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnsupportedEventVersion(
                    f"no upcaster from {event_type} version {version} to {version + 1}"
                )
            data = step(dict(data))
            version += 1
        return data

    def decode(self, envelope: EventEnvelope) -> DomainEvent:
        """The typed, current-version event inside ``envelope``."""
        model = self.model_for(envelope.type)
        data = self.upcast(envelope.type, envelope.dataversion, envelope.data)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise MalformedEvent(
                f"{envelope.type} v{envelope.dataversion}: {describe_validation_error(exc)}"
            ) from exc


registry = EventRegistry()
"""The registry of every contract in :mod:`rapport_events.contracts`."""
