"""The cached-hit fast path (app/hitpath.py): a repeat of an answered request is the same answer
from the cache without validating its body again; anything that could change the answer or its
representation takes the full path."""

from __future__ import annotations

import copy
import math
from typing import Any

import orjson

from app.presets import all_presets

URL = "/v1/oscillator/response"


def fig2a() -> dict[str, Any]:
    return copy.deepcopy(all_presets()["westerberg-barnett-fig2a"].body)


def _same_answer(a: dict[str, Any], b: dict[str, Any]) -> None:
    for d in (a, b):
        d["meta"].pop("elapsed_ms")
        d["meta"].pop("cache")
    assert a == b


async def test_a_repeat_is_answered_by_the_fast_path_with_the_same_answer(client, monkeypatch):
    raw = orjson.dumps(fig2a())
    headers = {"content-type": "application/json"}
    first = await client.post(URL, content=raw, headers=headers)
    assert first.headers["x-cache"] == "miss"
    svc = client.app.state.service
    assert len(svc.known) == 1
    # the fast path neither validates nor keys: make both fail loudly if they were reached
    import app.service as service_module

    def boom(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the full path ran for a known request")

    monkeypatch.setattr(service_module, "cache_key", boom)
    second = await client.post(URL, content=raw, headers=headers)
    assert second.status_code == 200 and second.headers["x-cache"] == "hit"
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["x-request-id"]
    _same_answer(first.json(), second.json())


async def test_what_could_change_the_answer_takes_the_full_path(client):
    body = fig2a()
    raw = orjson.dumps(body)
    headers = {"content-type": "application/json"}
    await client.post(URL, content=raw, headers=headers)
    svc = client.app.state.service
    other = fig2a()
    w = other["transitions"][0]["omega"]
    other["transitions"][0]["omega"] = math.nextafter(w, math.inf)  # one ulp: another answer
    r = await client.post(URL, json=other)
    assert r.headers["x-cache"] == "miss"
    csv = await client.post(URL, content=raw, headers={**headers, "accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")  # Accept is part of the digest
    query = await client.post(URL + "?format=csv", content=raw, headers=headers)
    assert query.headers["content-type"].startswith("text/csv")
    cond = await client.post(
        URL, content=raw, headers={**headers, "if-none-match": r.headers["etag"]}
    )
    assert cond.status_code == 200  # another body's ETag: computed as usual (not 412)
    assert len(svc.known) == 2  # the two JSON answers without a query or a condition


async def test_an_evicted_answer_falls_through_and_is_computed_again(client):
    raw = orjson.dumps(fig2a())
    headers = {"content-type": "application/json"}
    await client.post(URL, content=raw, headers=headers)
    svc = client.app.state.service
    await svc.cache.close()  # empties the in-process LRU
    again = await client.post(URL, content=raw, headers=headers)
    assert again.status_code == 200 and again.headers["x-cache"] == "miss"
    assert svc.computations == 2
