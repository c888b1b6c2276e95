"""Reading source files, plain or gzip-compressed (the shipped demo dataset is compressed)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from catalogue.importers.base import SetBundle, SetRecord


def open_text(path: Path):  # noqa: ANN201 - a text file object
    """Open `path` for reading text; `.gz` files are decompressed on the fly."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def load_json(path: Path) -> Any:
    with open_text(path) as handle:
        return json.load(handle)


def source_stem(path: Path) -> str:
    """`base1.json.gz` -> `base1`; `tfc.yml` -> `tfc`."""
    name = path.name
    for suffix in (".gz", ".json", ".yml", ".yaml"):
        name = name.removesuffix(suffix)
    return name


def data_files(folder: Path, *patterns: str) -> list[Path]:
    """Files in `folder` matching any pattern, plain or .gz, sorted by name."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(folder.glob(pattern))
        found.update(folder.glob(f"{pattern}.gz"))
    return sorted(found)


def read_list(file: Path) -> list[Any]:
    """A JSON file holding a list; anything else is a ValueError."""
    rows = load_json(file)
    if not isinstance(rows, list):
        raise ValueError(f"it holds {type(rows).__name__}, not a list")
    return rows


def single_file(path: Path, name: str) -> Path:
    """`path` itself, or the file `name` (plain or .gz) inside the folder `path`."""
    if path.is_dir():
        found = data_files(path, name)
        if not found:
            raise FileNotFoundError(f"no {name}(.gz) in {path}")
        return found[0]
    return path


def list_file_bundles(path: Path, name: str,
                      bundles_from_rows: Callable[..., Iterator[SetBundle]], *,
                      only: set[str] | None) -> Iterator[SetBundle]:
    """Bundles from a source shipped as one JSON list (`name` inside the folder `path`, or the
    file `path`). An unreadable file (truncated, not gzip, not a JSON list) is one failed set."""
    file = single_file(Path(path), name)
    try:
        rows = read_list(file)
    except (OSError, EOFError, ValueError) as exc:
        yield SetBundle(SetRecord(source_id=file.name, name=""),
                        failure=f"{file.name} not readable: {exc}")
        return
    yield from bundles_from_rows(rows, only=only)
