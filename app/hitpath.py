"""The cached-hit fast path: a repeat of a request already answered is served from the cache
without parsing, validating or keying its body again.

:meth:`app.service.Service.respond` computes the cache key from the *validated* body; validation
depends only on the request bytes (method, path, content type, Accept, body) and on the
settings, which are fixed for the life of the process. So once a request has been answered
with JSON, the digest of those bytes determines its key and ETag, and :class:`HitPath`
(a pure ASGI middleware inside the size, content-type, fair-use and observability layers) can
answer the next identical request with a cache lookup and a splice. Anything else falls
through unchanged, with the body replayed: a query string, an ``If-None-Match``, a body over
:data:`FAST_BODY_BYTES`, a digest never seen, or an answer no longer in the cache.

The table maps digests to (key, ETag, model, version), bounded to ``hit_path_entries`` (LRU);
it is per process, like the settings it relies on.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import record_cache

if TYPE_CHECKING:
    from app.service import Service

#: Bodies up to this size take the fast path (hashing a bigger body is work for a thread).
FAST_BODY_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class Known:
    """What a request digest stands for."""

    key: str
    etag: str
    model: str
    version: str


class KnownRequests:
    """Bounded LRU: request digest -> :class:`Known`."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._data: OrderedDict[bytes, Known] = OrderedDict()

    def get(self, digest: bytes) -> Known | None:
        known = self._data.get(digest)
        if known is not None:
            self._data.move_to_end(digest)
        return known

    def put(self, digest: bytes, known: Known) -> None:
        if self.max_entries <= 0:
            return
        self._data[digest] = known
        self._data.move_to_end(digest)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for k, v in scope.get("headers") or ():
        if k == name:
            return bytes(v)
    return None


def request_digest(method: str, path: str, ctype: bytes, accept: bytes, body: bytes) -> bytes:
    """The digest of everything validation and negotiation read from a request."""
    h = hashlib.sha256(method.encode())
    for part in (path.encode(), ctype, accept):
        h.update(b"\0")
        h.update(part)
    h.update(b"\0")
    h.update(body)
    return h.digest()


def fast_eligible(scope: Scope) -> bool:
    """Whether a request may take the fast path (judged on the headers, before the body)."""
    if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("query_string"):
        return False
    if _header(scope, b"if-none-match") is not None:
        return False
    length = _header(scope, b"content-length")
    return length is not None and length.isdigit() and int(length) <= FAST_BODY_BYTES


class HitPath:
    """The fast path (see the module docstring)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root: Any = scope.get("app")
        service: Service | None = getattr(getattr(root, "state", None), "service", None)
        if service is None or not fast_eligible(scope):
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        chunks: list[bytes] = []
        more = True
        while more:  # at most FAST_BODY_BYTES (the declared length)
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        digest = request_digest(
            scope["method"],
            scope["path"],
            _header(scope, b"content-type") or b"",
            _header(scope, b"accept") or b"",
            body,
        )
        scope.setdefault("state", {})["request_digest"] = digest
        known = service.known.get(digest)
        blob = None if known is None else await service.cache.get(known.key)
        if known is None or blob is None:
            await self.app(scope, _replay([body], None, receive), send)
            return
        service.cache.stats.hits += 1
        record_cache("hit")
        await service.send_hit(scope, receive, send, known, blob, t0)


def _replay(bodies: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives the already-read body again, then the original's messages."""
    queue: list[Message] = [{"type": "http.request", "body": b"".join(bodies), "more_body": False}]
    if pending is not None:
        queue = [pending]

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay
