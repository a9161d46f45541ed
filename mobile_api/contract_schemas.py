"""What msgspec knows of the bodies and answers that Litestar's schemas leave out, carried into the document."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from backend import commands
from mobile_api import schemas as response_schemas

CARRIED: Final = ("format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                  "maxLength", "minItems", "maxItems")
"""Keywords of a field that Litestar drops inside a list or a nullable field, or from `extra_json_schema`."""


def structs_of(module: Any) -> list[type[msgspec.Struct]]:
    """The structs a module defines, and those it answers as the read side builds them (`READ_SIDE`)."""
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, msgspec.Struct) and v.__module__ == module.__name__
            ] + list(getattr(module, "READ_SIDE", ()))


def carry_from_msgspec(schemas: dict[str, Any]) -> None:
    """Complete the bodies' and answers' schemas from msgspec's own: formats (date-time, date, uuid), patterns and
    bounds; and every field of an answer required, since an answer always carries every field of its struct."""
    answers = [s for s in structs_of(response_schemas) if not s.__struct_config__.forbid_unknown_fields]
    _, found = msgspec.json.schema_components(structs_of(commands) + structs_of(response_schemas),
                                              ref_template="#/components/schemas/{name}")
    for name, schema in found.items():
        properties = schemas.get(name, {}).get("properties", {})
        for field, source in schema.get("properties", {}).items():
            if field in properties:
                _carry(source, properties[field])
    for struct in answers:
        target = schemas.get(struct.__name__, {})
        if target.get("properties"):
            target["required"] = sorted(target["properties"])


def _carry(source: dict[str, Any], target: dict[str, Any]) -> None:
    """Copy the carried keywords where both sides have the same type, into lists and nullable branches."""
    if "type" in target and source.get("type") == target["type"]:
        target.update({k: v for k, v in source.items() if k in CARRIED})
    if "items" in source and "items" in target:
        _carry(source["items"], target["items"])
    for member in source.get("anyOf", []):
        for other in target.get("oneOf", []) + target.get("anyOf", []):
            if member.get("type") == other.get("type"):
                _carry(member, other)
