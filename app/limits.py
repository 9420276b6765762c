"""Request-side guards: the body size limit, the content-type guard and the array-length limits.

Three guards run before any work, each refusing with an RFC 9457 problem whose ``errors[]`` names
the offending input:

- :class:`BodySizeLimit` (pure ASGI): a body over ``max_body_bytes`` is 413 as soon as the count
  passes the limit, whether its size is declared (``Content-Length``) or not (chunked transfer);
  the app never sees such a request. The body is read here, up to the limit, and handed on as
  one message.
- :class:`ContentTypeGuard` (pure ASGI): a body sent to an operation with a media type the
  operation does not accept is 415, with the accepted types in ``Accept-Post``. The accepted
  types are the ones the app's OpenAPI document gives the operation's request body (JSON for a
  body model; ``/v1/causality/kramers-kronig`` documents JSON and CSV), so the spec and the
  guard cannot disagree.
- :func:`check_array_limits`: every list of a validated request body against its bound. A list
  field names its setting in its schema (``json_schema_extra={"x-limit": "max_grid_points"}``,
  see :func:`app.schemas.common.limit`), a list without a static ``max_length`` and without a
  named setting is bound by ``max_array_items``; the refusal is :class:`LimitExceeded` (413)
  naming the setting and the field. Only list *lengths* are read: the list-field paths of each
  model class are found once, and a list is walked into only when its items are models that
  hold such lists (never over numbers).

Wiring (``create_app``): ``app.add_middleware(ContentTypeGuard)`` first, then
``app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)`` (the last added is the
outermost, so the size limit is judged first); ``Service.respond`` calls
``check_array_limits(body, settings)`` before the computation's own checks.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.settings import Settings
from core.errors import LimitExceeded

#: Methods whose requests carry a body the guards look at.
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
#: The setting that bounds every list without a static bound or a setting of its own.
DEFAULT_LIMIT: Final = "max_array_items"
#: Media types read as CSV by an operation that documents ``text/csv``.
CSV_SYNONYMS: Final = ("text/csv", "application/csv", "text/plain")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value)
    return None


# ---------------------------------------------------------------------------------------------
# Body size (413)
# ---------------------------------------------------------------------------------------------


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413 problem+json before the app sees them.

    A declared ``Content-Length`` over the limit is refused without reading the body; otherwise
    the body is read here, message by message, and refused the moment the count passes the
    limit (chunked bodies included), before any response has started. A body within the limit
    is handed to the app as one ``http.request`` message; later messages (the disconnect) come
    from the server as usual.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit():
            size = int(declared)
            if size > self.max_bytes:
                await self._reject(scope, receive, send, size, declared=True)
                return
        chunks: list[bytes] = []
        seen = 0
        first: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left while sending
                first = message
                break
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.max_bytes:
                await self._reject(scope, receive, send, seen, declared=False)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                first = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        pending: list[Message] = [first]

        async def replay() -> Message:
            if pending:
                return pending.pop()
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, size: int, *, declared: bool
    ) -> None:
        how = "declares" if declared else "has at least"
        where = "header:Content-Length" if declared else ""
        resp = problem_response(
            413,
            "limit-exceeded",
            "Request too large",
            f"the request body {how} {size} bytes; the limit is {self.max_bytes} (max_body_bytes)",
            errors=[
                {
                    "field": where,
                    "message": f"the body {how} {size} bytes, over max_body_bytes = "
                    f"{self.max_bytes}",
                    "fix": "send a smaller body: fewer points, or split the request",
                }
            ],
            headers={"Connection": "close"},
            instance=scope.get("path"),
            limit_name="max_body_bytes",
            limit=self.max_bytes,
            requested=size,
        )
        await resp(scope, receive, send)


# ---------------------------------------------------------------------------------------------
# Content type (415)
# ---------------------------------------------------------------------------------------------


def accepted_media_types(operation: dict[str, Any]) -> tuple[str, ...] | None:
    """The request media types of an OpenAPI operation, or ``None`` when it takes no body.

    The keys of its ``requestBody.content`` (JSON for an operation with a body model;
    ``/v1/causality/kramers-kronig`` documents ``text/csv`` too, which also admits the synonyms
    :data:`CSV_SYNONYMS` its parser reads).
    """
    content = (operation.get("requestBody") or {}).get("content")
    if not isinstance(content, dict) or not content:
        return None
    types_: list[str] = []
    for media in content:
        types_.extend(CSV_SYNONYMS if media == "text/csv" else (media,))
    return tuple(dict.fromkeys(t.lower() for t in types_))


def media_type_accepted(content_type: str, accepted: Iterable[str]) -> bool:
    """Whether a ``Content-Type`` value (parameters ignored) is one of ``accepted``; a JSON
    operation also takes the structured-syntax suffix ``application/<x>+json`` (RFC 6839)."""
    media = content_type.split(";", 1)[0].strip().lower()
    ok = set(accepted)
    if media in ok:
        return True
    return "application/json" in ok and media.startswith("application/") and media.endswith("+json")


class ContentTypeGuard:
    """415 problem+json for a request body of a media type the operation does not accept.

    Judged from the headers only: a request without a body (no ``Content-Length`` or 0, and no
    ``Transfer-Encoding``) is passed on (the body's own validation names what is missing); a body
    without ``Content-Type`` is refused like a wrong one. Paths that match no route are passed
    on (404/405 follow).
    """

    def __init__(self, app: ASGIApp):
        self.app = app
        self._table: list[tuple[re.Pattern[str], str, tuple[str, ...]]] | None = None

    def _operations(self, scope: Scope) -> list[tuple[re.Pattern[str], str, tuple[str, ...]]]:
        """(path regex, method, accepted types) of every operation with a body, read once from
        the app's OpenAPI document (what the spec documents is what the route accepts)."""
        if self._table is None:
            root: Any = scope.get("app")
            if root is None or not hasattr(root, "openapi"):
                return []  # not inside an app (yet): judge nothing, look again next time
            doc: dict[str, Any] = root.openapi()
            table = []
            for path, ops in (doc.get("paths") or {}).items():
                regex, _, _ = compile_path(path)
                for method, op in ops.items():
                    if isinstance(op, dict) and (acc := accepted_media_types(op)) is not None:
                        table.append((regex, method.upper(), acc))
            self._table = table
        return self._table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        has_body = _header(scope, b"transfer-encoding") is not None or (
            length is not None and length.strip() not in (b"", b"0")
        )
        if not has_body:
            await self.app(scope, receive, send)
            return
        accepted: tuple[str, ...] | None = None
        path, method = scope.get("path", ""), scope.get("method")
        for regex, op_method, acc in self._operations(scope):
            if op_method == method and regex.match(path):
                accepted = acc
                break
        ctype_raw = _header(scope, b"content-type")
        ctype = ctype_raw.decode("latin-1") if ctype_raw is not None else ""
        if accepted is None or media_type_accepted(ctype, accepted):
            await self.app(scope, receive, send)
            return
        await self._reject(scope, receive, send, ctype, accepted)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, ctype: str, accepted: tuple[str, ...]
    ) -> None:
        names = ", ".join(accepted)
        given = f"Content-Type '{ctype}'" if ctype else "a body without Content-Type"
        resp = problem_response(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"{given} is not accepted: {scope.get('path')} accepts {names}",
            errors=[
                {
                    "field": "header:Content-Type",
                    "message": f"{given} is not accepted here",
                    "fix": f"send the body as {accepted[0]} (Content-Type: {accepted[0]})"
                    + (f"; also accepted: {', '.join(accepted[1:])}" if len(accepted) > 1 else ""),
                }
            ],
            headers={"Accept-Post": names},
            instance=scope.get("path"),
            media_types=list(accepted),
        )
        await resp(scope, receive, send)


# ---------------------------------------------------------------------------------------------
# Array lengths (413)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """What a field (or a list's item) holds: a list with its bound, models, or nothing to check.

    ``setting`` is the Settings field bounding a list (``None``: a static ``max_length`` that
    pydantic already enforced); ``item`` the shape of its items; ``models`` the model classes a
    value may be (a union), walked into when they hold lists to check.
    """

    is_list: bool = False
    setting: str | None = None
    item: _Shape | None = None
    models: tuple[type[BaseModel], ...] = ()

    @property
    def needs_walk(self) -> bool:
        if self.is_list:
            return self.setting is not None or (self.item is not None and self.item.needs_walk)
        return any(_rules(m) for m in self.models)


def _static_max(metadata: Iterable[Any]) -> int | None:
    for m in metadata:
        if isinstance(m, FieldInfo):  # Annotated[list[...], Field(max_length=...)]
            v = _static_max(m.metadata)
        else:
            v = getattr(m, "max_length", None)  # annotated_types.MaxLen
        if isinstance(v, int):
            return v
    return None


def _named_setting(extra: Any) -> str | None:
    if isinstance(extra, dict):
        name = extra.get("x-limit")
        if isinstance(name, str):
            return name
    return None


def _shape(tp: Any, metadata: tuple[Any, ...] = (), setting: str | None = None) -> _Shape:
    """The :class:`_Shape` of an annotation (``metadata``: constraints of the field itself)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        return _shape(base, (*metadata, *meta), setting)
    if origin in (Union, types.UnionType):
        parts = [_shape(a, metadata, setting) for a in typing.get_args(tp) if a is not type(None)]
        lists = [p for p in parts if p.is_list]
        if lists:
            return lists[0]
        return _Shape(models=tuple(m for p in parts for m in p.models))
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple):
        args = typing.get_args(tp)
        item = _shape(args[0]) if args and origin is not tuple else None
        if origin is tuple and args:
            # fixed-length tuples are bound by their type; tuple[X, ...] like a list
            if len(args) == 2 and args[1] is Ellipsis:
                item = _shape(args[0])
            else:
                return _Shape()
        bound = setting
        if bound is None and _static_max(metadata) is None:
            bound = DEFAULT_LIMIT
        return _Shape(is_list=True, setting=bound, item=item)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _Shape(models=(tp,))
    return _Shape()


@cache
def _rules(model: type[BaseModel]) -> tuple[tuple[str, str, _Shape], ...]:
    """``(attribute, JSON name, shape)`` of every field of ``model`` that holds a list to check
    (directly or in nested models). Computed once per class."""
    out: list[tuple[str, str, _Shape]] = []
    for name, info in model.model_fields.items():
        meta = tuple(info.metadata)
        shape = _shape(info.annotation, meta, _named_setting(info.json_schema_extra))
        if shape.is_list or shape.models:
            out.append((name, info.alias or name, shape))
    # a self-referencing model would recurse here forever; none of the request models does
    return tuple((a, j, s) for a, j, s in out if s.needs_walk)


def _limit_of(settings: Settings, setting: str) -> int:
    value = getattr(settings, setting, None)
    if not isinstance(value, int):
        raise RuntimeError(f"schema names an unknown array-limit setting {setting!r}")
    return value


def _check(value: Any, shape: _Shape, path: tuple[str | int, ...], settings: Settings) -> None:
    if value is None:
        return
    if shape.is_list:
        if not isinstance(value, list | tuple):
            return
        if shape.setting is not None:
            limit = _limit_of(settings, shape.setting)
            n = len(value)
            if n > limit:
                raise LimitExceeded(
                    f"{n} entries; the limit of this list is {limit} ({shape.setting})",
                    limit_name=shape.setting,
                    limit=limit,
                    requested=n,
                    field=path,
                    fix=f"send at most {limit} entries, or split the request",
                )
        item = shape.item
        if item is not None and item.needs_walk:
            for i, v in enumerate(value):
                _check(v, item, (*path, i), settings)
        return
    if isinstance(value, BaseModel):
        for attr, key, sub in _rules(type(value)):
            _check(getattr(value, attr), sub, (*path, key), settings)


def check_array_limits(body: BaseModel, settings: Settings) -> None:
    """Raise :class:`LimitExceeded` (413) for the first list of ``body`` longer than its bound.

    A list field's bound is the setting its schema names (``x-limit``), else ``max_array_items``
    when it has no static ``max_length`` (pydantic enforces those). ``field`` of the error is the
    list's path in the body (JSON names, list indices), so the problem document points at it.
    Costs one attribute read per list field (and per model item of lists of models that hold
    such lists): it never iterates over numbers.
    """
    for attr, key, shape in _rules(type(body)):
        _check(getattr(body, attr), shape, (key,), settings)


def list_fields(model: type[BaseModel]) -> list[tuple[tuple[str, ...], str | None]]:
    """``(path of JSON names, bounding setting or None for a static bound)`` of every list field
    reachable from ``model``; ``"*"`` stands for a list's items (for tests and the docs)."""
    out: list[tuple[tuple[str, ...], str | None]] = []
    seen: set[type[BaseModel]] = set()

    def walk_shape(shape: _Shape, path: tuple[str, ...]) -> None:
        if shape.is_list:
            out.append((path, shape.setting))
            if shape.item is not None:
                walk_shape(shape.item, (*path, "*"))
            return
        for m in shape.models:
            walk_model(m, path)

    def walk_model(m: type[BaseModel], path: tuple[str, ...]) -> None:
        if m in seen:
            return
        seen.add(m)
        for name, info in m.model_fields.items():
            shape = _shape(
                info.annotation, tuple(info.metadata), _named_setting(info.json_schema_extra)
            )
            walk_shape(shape, (*path, info.alias or name))
        seen.discard(m)

    walk_model(model, ())
    return out
