"""Why a map document is refused (pure; Refusals without transport statuses)."""

from __future__ import annotations

from collections.abc import Iterable

from rapport_platform.refusals import Refusal

from journey.domain.maps.model import MapError


class InvalidMap(Refusal):
    """The document is not a map the engine can run; ``errors`` lists every reason at once,
    each with its place in the document (``stages[2].entry.when``)."""

    def __init__(self, errors: Iterable[MapError]) -> None:
        self.errors: tuple[MapError, ...] = tuple(errors)
        fields: dict[str, str] = {}
        for error in self.errors:
            fields[error.path] = (
                f"{fields[error.path]}; {error.message}" if error.path in fields else error.message
            )
        count = len(self.errors)
        listing = "; ".join(f"{error.path or 'document'}: {error.message}" for error in self.errors)
        super().__init__(
            f"the map has {count} error{'s' if count != 1 else ''}: {listing}", fields=fields
        )


class UnsupportedMapFormat(Refusal):
    """The document is neither YAML nor JSON."""

    def __init__(self, media_type: str) -> None:
        super().__init__(
            f"a map is sent as YAML (application/yaml) or JSON (application/json), "
            f"not {media_type!r}",
            fields={"content-type": "use application/yaml or application/json"},
        )
        self.media_type = media_type
