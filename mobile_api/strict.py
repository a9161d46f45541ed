"""JSON bodies are read with strict types: `"true"` is not true, `"27.7"` is not a latitude, a number is not a time.

Litestar converts a body into its struct with msgspec's lax rules (`strict=False`, in its signature
model and its DTOs alike), which turn strings into booleans and numbers and Unix seconds into
datetimes. A before-request hook first converts the parsed body strictly into the route's struct,
so a body that only lax rules accept is refused (422 naming the field) before the handler runs.
It is the app's before-request hook: a controller or route that sets its own would replace it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, SerializationException, ValidationException
from litestar.handlers import HTTPRouteHandler

_AT: Final = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED: Final = re.compile(r"field `([^`]+)`")


@cache
def _decoder(struct: type[msgspec.Struct]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(struct, strict=True)


def body_struct(handler: HTTPRouteHandler) -> type[msgspec.Struct] | None:
    """The struct a route takes as its JSON body, if it takes one."""
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    media_type = getattr(field.kwarg_definition, "media_type", RequestEncodingType.JSON)
    annotation = field.annotation
    if media_type != RequestEncodingType.JSON or not (
        isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)
    ):
        return None
    return annotation


def field_error(error: msgspec.ValidationError) -> dict[str, Any]:
    """A msgspec error as one field error: what is wrong, and the field's full path (`guardians[0].phone`)."""
    match = _AT.match(str(error))
    message = match.group("message") if match else str(error)
    path = match.group("path") if match else None
    if path:  # a missing or unknown field inside a nested object: name it by its full path
        message = _NAMED.sub(lambda m: f"field `{path}.{m.group(1)}`", message)
        named = _NAMED.search(message)
        path = named.group(1) if named else path
    return {"message": message, "key": path or None, "source": "body"}


def invalid(error: msgspec.ValidationError) -> ValidationException:
    return ValidationException("the request does not match the schema", extra=[field_error(error)])


async def decode_strictly(request: Request[Any, Any, Any]) -> None:
    """Refuse a JSON body that does not convert strictly into the route's struct (422 naming the field).

    The body is parsed once, by the request (which also decides what a malformed body is), and
    Litestar reuses that parse; only the conversion into the struct is done here, strictly.
    """
    struct = body_struct(request.route_handler)
    if struct is None:
        return
    try:
        data = await request.json()
    except SerializationException as exc:
        if isinstance(exc.__cause__, msgspec.ValidationError):  # well-formed, but a number out of range
            raise await typed_error(request, struct, exc.__cause__) from None
        raise ClientException(str(exc)) from None  # "JSON is malformed: …" or "Input data was truncated"
    except (RecursionError, UnicodeDecodeError) as exc:
        raise ClientException(f"JSON is malformed: {type(exc).__name__}") from None
    try:
        msgspec.convert(data, struct, strict=True)
    except msgspec.ValidationError as exc:
        raise invalid(exc) from None


async def typed_error(
    request: Request[Any, Any, Any], struct: type[msgspec.Struct], untyped: msgspec.ValidationError
) -> ValidationException:
    """The refusal of a body the untyped parse could not hold, with the field a typed decode names."""
    try:
        _decoder(struct).decode(await request.body())
    except msgspec.ValidationError as exc:
        return invalid(exc)
    return invalid(untyped)
