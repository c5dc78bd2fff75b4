"""Conditions in Google's Common Expression Language, through its maintained Rust binding.

CEL is side-effect free, has no loops beyond bounded macros and cannot reach the host: a
condition HQ writes can read the member's facts and the event, and nothing else. Each
condition is compiled once per map version; evaluating it never parses text again.

A condition that fails while it is evaluated (a null fact compared with a number, a field an
event does not carry) does not hold, and says why: the engine records the reason on her
timeline instead of guessing.

Speed: the binding converts every value it is handed into a CEL value each time a program
runs, which costs far more than evaluating the expression (microseconds per string, map or
timestamp). The engine therefore hands a condition only the facts and event fields it reads
(:func:`reads`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import cel

from journey.domain.maps.model import Condition

_STRING_LITERAL: Final = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
_SELECTION: Final = re.compile(r"(?<![\w.])(facts|event)\s*\.\s*([A-Za-z_]\w*)")
VARIABLES: Final = frozenset({"facts", "event", "stage", "now"})
"""The names a condition may use besides the macros' own loop variables."""
_MAP_VARIABLE: Final = re.compile(r"(?<![\w.])(facts|event)\b")
_NULL_BEFORE: Final = re.compile(r"null\s*[!=]=\s*$")
_NULL_AFTER: Final = re.compile(r"\s*[!=]=\s*null\b")
_FIELD_AFTER: Final = re.compile(r"\s*\.\s*([A-Za-z_]\w*)")


class ConditionSyntaxError(ValueError):
    """The expression is not CEL; the message is the parser's, with line and column."""


def compile_condition(source: str, path: str) -> Condition:
    try:
        program = cel.compile(source)
    except ValueError as error:
        raise ConditionSyntaxError(_parser_message(str(error))) from error
    return Condition(source=source, path=path, program=program)


def holds(condition: Condition, context: Mapping[str, Any]) -> bool | str:
    """True or False, or the reason it could not be decided (which counts as not holding)."""
    variables = context if type(context) is dict else dict(context)
    try:
        result = condition.program.execute(variables)  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        return f"{condition.path}: {type(error).__name__}: {error}"
    if not isinstance(result, bool):
        return f"{condition.path}: evaluates to {type(result).__name__}, not a bool"
    return result


def selected_fields(source: str) -> dict[str, set[str]]:
    """The ``facts.x`` and ``event.y`` names an expression reads (string literals ignored).

    CEL's own analysis lists variables, not the fields selected from them; this is what
    lets a map be refused for naming a fact it did not declare.
    """
    code = _STRING_LITERAL.sub('""', source)
    found: dict[str, set[str]] = {"facts": set(), "event": set()}
    for variable, name in _SELECTION.findall(code):
        found[variable].add(name)
    return found


def reads(sources: Iterable[str]) -> dict[str, frozenset[str] | None]:
    """For ``facts`` and ``event``: the fields the expressions select from it, or None when
    one of them uses the variable otherwise (``size(event)``, ``facts["tier"]``) and so
    needs all of it. Comparing the variable with null needs none of its fields.

    Over-approximates (a macro variable that shadows ``facts`` counts as it): handing a
    condition only these fields evaluates it exactly as handing it all of them would.
    """
    found: dict[str, set[str] | None] = {"facts": set(), "event": set()}
    for source in sources:
        code = _STRING_LITERAL.sub('""', source)
        for match in _MAP_VARIABLE.finditer(code):
            variable, fields = match.group(1), found[match.group(1)]
            if fields is None:
                continue
            selected = _FIELD_AFTER.match(code, match.end())
            if selected is not None:
                fields.add(selected.group(1))
            elif not (
                _NULL_AFTER.match(code, match.end()) or _NULL_BEFORE.search(code, 0, match.start())
            ):
                found[variable] = None
    return {name: None if fields is None else frozenset(fields) for name, fields in found.items()}


def free_variables(condition: Condition) -> set[str]:
    """Variables the expression reads that are not bound by one of its own macros."""
    variables = set(condition.program.variables())  # type: ignore[attr-defined]
    bound = set(
        re.findall(
            r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*(\w+)\s*,",
            _STRING_LITERAL.sub('""', condition.source),
        )
    )
    return variables - bound


def _parser_message(message: str) -> str:
    # The binding prefixes "Failed to parse expression '<source>': "; the source is already
    # next to the error in the map, and the caret lines say where.
    _, _, rest = message.partition("': ")
    return rest or message
