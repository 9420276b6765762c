"""Write the committed OpenAPI spec: ``python -m app.openapi [path]`` (default openapi/openapi.json).

The spec is generated from ``create_app()`` with default settings, dumped with sorted keys, indent
2 and a trailing newline, so a diff shows real API changes only. tests/app/test_openapi.py fails
when the committed file differs from the app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def spec() -> dict[str, Any]:
    from app.main import create_app
    from app.settings import Settings

    return create_app(Settings(redis_url=None)).openapi()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render(spec())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    print(f"wrote {path} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
