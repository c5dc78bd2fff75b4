"""The services' API documents, written to ``docs/api/`` for readers without a running system.

    python -m rapport_platform.openapi identity service_orders ...          # writes
    python -m rapport_platform.openapi --check identity service_orders ...  # fails if stale

Each package must offer ``<package>.bootstrap.definition()``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from rapport_platform.service import ServiceDefinition, openapi_document


def render(package: str) -> str:
    bootstrap = importlib.import_module(f"{package}.bootstrap")
    definition: ServiceDefinition = bootstrap.definition()
    return json.dumps(openapi_document(definition), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rapport_platform.openapi")
    parser.add_argument("packages", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("docs/api"))
    parser.add_argument("--check", action="store_true", help="fail if a document is stale")
    args = parser.parse_args(argv)
    stale = []
    for package in args.packages:
        target = args.out / f"{package}.openapi.json"
        text = render(package)
        if target.exists() and target.read_text() == text:
            continue
        stale.append(str(target))
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    if args.check and stale:
        print("API documents are out of date, run `make api-docs`:", *stale, sep="\n  ")
        return 1
    print(f"{len(args.packages)} API documents {'checked' if args.check else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
