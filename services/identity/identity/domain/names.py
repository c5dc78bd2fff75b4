"""Members' names, and the surname that greetings use ("梁女士", "Ms. Liang")."""

from __future__ import annotations

import unicodedata

from identity.domain.errors import InvalidValue

MAX_NAME_LENGTH = 64
MAX_SURNAME_LENGTH = 20  # the limit of MemberRegistered.surname

# Two-character family names: without them "欧阳娜娜" would be greeted as "欧女士".
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "令狐", "轩辕", "端木", "独孤", "南宫", "西门", "呼延",
    }
)  # fmt: skip

# Family-name-first scripts: the first character is the family name.
_FAMILY_NAME_FIRST_SCRIPTS = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HANGUL")


def normalise_name(raw: str, field: str = "name") -> str:
    """Trimmed, inner whitespace collapsed; 1 to 64 characters."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise InvalidValue(field, "must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidValue(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def is_family_name_first(character: str) -> bool:
    return unicodedata.name(character, "").startswith(_FAMILY_NAME_FIRST_SCRIPTS)


def derive_surname(name: str) -> str:
    """The family name inside a full name.

    Chinese (and Korean) names put it first: "梁晓雯" -> "梁", "欧阳娜娜" -> "欧阳". Names in
    Latin letters are taken as given name first: "Xiaowen Liang" -> "Liang". Pinyin written
    family name first ("Liang Xiaowen") cannot be told apart, so callers give the surname.
    """
    name = normalise_name(name)
    if is_family_name_first(name[0]):
        if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
            return name[:2]
        return name[0]
    return name.split(" ")[-1]


def resolve_surname(name: str, surname: str | None) -> str:
    """The given surname (checked) or, when there is none, the one derived from the name."""
    if surname is None or not surname.strip():
        result = derive_surname(name)
        if len(result) > MAX_SURNAME_LENGTH:
            raise InvalidValue(
                "surname",
                f"could not be derived from the name within {MAX_SURNAME_LENGTH} characters; "
                "give it explicitly",
            )
        return result
    result = normalise_name(surname, field="surname")
    if len(result) > MAX_SURNAME_LENGTH:
        raise InvalidValue("surname", f"must be at most {MAX_SURNAME_LENGTH} characters")
    return result
