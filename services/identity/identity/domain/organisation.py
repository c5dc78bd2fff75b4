"""Brands, their stores, and the staff who work for them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rapport_platform.refusals import InvalidInput

from identity.domain import ids
from identity.domain.invite_codes import parse_invite_code

BRAND_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MAX_LABEL_LENGTH = 100
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def _label(raw: str, field: str) -> str:
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > MAX_LABEL_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_LABEL_LENGTH} characters")
    return text


@dataclass(frozen=True)
class Brand:
    brand_id: str
    code: str
    name: str

    @classmethod
    def create(cls, code: str, name: str) -> Brand:
        canonical = code.strip().lower()
        if not BRAND_CODE.fullmatch(canonical):
            raise InvalidInput(
                "code",
                "must be 2 to 40 lower-case letters, digits or dashes, starting with a "
                "letter or digit (e.g. lumiere)",
            )
        return cls(brand_id=ids.new_id(ids.BRAND), code=canonical, name=_label(name, "name"))


@dataclass(frozen=True)
class Store:
    store_id: str
    brand_id: str
    name: str
    city: str

    @classmethod
    def create(cls, brand_id: str, name: str, city: str) -> Store:
        return cls(
            store_id=ids.new_id(ids.STORE),
            brand_id=brand_id,
            name=_label(name, "name"),
            city=_label(city, "city"),
        )


class StaffRole(StrEnum):
    HQ = "hq"
    STORE_MANAGER = "store_manager"
    ASSOCIATE = "associate"


def normalise_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "username",
            "must be 2 to 32 lower-case letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit",
        )
    return username


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")


def normalise_password(password: str) -> str:
    # The same password typed on different keyboards may arrive composed or decomposed.
    return unicodedata.normalize("NFC", password)


@dataclass(frozen=True)
class Staff:
    """A person who logs in: HQ (no store), a store manager or an associate (one store).

    Only associates have an invite code: members who join through it are bound to them.
    """

    staff_id: str
    brand_id: str
    store_id: str | None
    role: StaffRole
    display_name: str
    username: str
    invite_code: str | None = None

    @classmethod
    def create(
        cls,
        *,
        brand_id: str,
        store_id: str | None,
        role: StaffRole,
        display_name: str,
        username: str,
        invite_code: str | None = None,
    ) -> Staff:
        if role is StaffRole.HQ and store_id is not None:
            raise InvalidInput("store_id", "must be empty for HQ staff, who work for the brand")
        if role is not StaffRole.HQ and store_id is None:
            raise InvalidInput("store_id", f"is required for role {role}")
        if (role is StaffRole.ASSOCIATE) != (invite_code is not None):
            raise ValueError("associates, and only associates, have an invite code")
        return cls(
            staff_id=ids.new_id(ids.STAFF),
            brand_id=brand_id,
            store_id=store_id,
            role=role,
            display_name=_label(display_name, "display_name"),
            username=normalise_username(username),
            invite_code=parse_invite_code(invite_code) if invite_code is not None else None,
        )

    @property
    def is_associate(self) -> bool:
        return self.role is StaffRole.ASSOCIATE
