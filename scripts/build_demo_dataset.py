#!/usr/bin/env python3
"""Build the demo dataset shipped in catalogue/demo_data/ from the real card data.

    .venv/bin/python scripts/build_demo_dataset.py [--source ../shared/data] [--out DIR]

Reads the real source files (see ../shared/data/README.md) and writes a compact subset in the
*same source formats*, gzip-compressed, so the real importers load it unchanged:

    pokemon/sets/en.json.gz, pokemon/cards/en/<set>.json.gz   pokemontcg.io API v2 objects
    mtg/<SET>.json.gz                                          MTGJSON 5 set files (trimmed)
    onepiece/cards.json.gz, fab/cards.json.gz                  whole files, minimised JSON
    lorcana/<file>.yml.gz                                      whole YAML files
    starwars/<set>.json.gz                                     whole files, minimised JSON
    yugioh/sets.json.gz, yugioh/cards.json.gz                  YGOJSON, early sets + their cards
    prices/tcgplayer_products.csv                              copied as is (small)

Output is deterministic (sorted JSON keys, gzip mtime 0, no file name in the gzip header):
rebuilding from the same input gives identical bytes. Files the build no longer produces are
removed. Images are never copied.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "catalogue" / "demo_data"

# All Wizards of the Coast era Pokémon sets (pokemontcg.io ids).
POKEMON_WOTC = ["base1", "base2", "base3", "base4", "base5", "base6", "gym1", "gym2",
                "neo1", "neo2", "neo3", "neo4", "si1", "basep"]
# Magic: the first sets (LEA …) and two 2022 sets.
MTG_SETS = ["LEA", "LEB", "2ED", "ARN", "ATQ", "NEO", "SNC"]
# Early Yu-Gi-Oh! sets, by English name (YGOJSON keys sets by uuid).
YUGIOH_EARLY = {
    "Legend of Blue Eyes White Dragon",  # LOB
    "Metal Raiders",  # MRD
    "Spell Ruler",  # SRL (NA: Magic Ruler, MRL-)
    "Pharaoh's Servant",  # PSV
    "Labyrinth of Nightmare",  # LON
    "Legacy of Darkness",  # LOD
    "Pharaonic Guardian",  # PGD
}

# MTGJSON fields the catalogue does not use (catalogue/importers/mtgjson.py reads the card's
# name, number, rarity, type line, identifiers, legalities, finishes, foreignData names and
# the ATTRIBUTE_KEYS there: text, flavorText, keywords, printings …); dropped to keep it small.
MTG_SET_DROP = {"booster", "translations", "tokens", "decks"}
MTG_CARD_DROP = {"rulings", "purchaseUrls", "originalText", "originalType", "edhrecRank",
                 "edhrecSaltiness", "leadershipSkills", "boosterTypes", "securityStamp",
                 "availability", "variations", "otherFaceIds", "rebalancedPrintings",
                 "originalPrintings", "sourceProducts", "relatedCards"}
MTG_FOREIGN_KEEP = {"language", "name", "faceName"}
MTG_SEALED_DROP = {"purchaseUrls", "contents"}


def dump_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def load_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


class Writer:
    """Writes gzip files deterministically and remembers what it wrote."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: dict[Path, int] = {}

    def gz(self, relative: str, data: bytes) -> None:
        buffer = io.BytesIO()
        # filename="" and mtime=0: the gzip header carries nothing that changes between builds
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9,
                           mtime=0) as handle:
            handle.write(data)
        self.raw(relative + ".gz", buffer.getvalue())

    def raw(self, relative: str, data: bytes) -> None:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        self.written[path] = len(data)

    def prune(self, keep: Iterable[Path]) -> list[Path]:
        """Delete data files under `out` this build did not write (README etc. are kept)."""
        keep = set(keep) | set(self.written)
        removed = []
        for path in sorted(self.out.rglob("*")):
            if path.is_file() and path not in keep:
                path.unlink()
                removed.append(path)
        return removed


# --- Pokémon -------------------------------------------------------------------------------

def pokemon_price_set_ids(source: Path, sets: list[dict[str, Any]]) -> list[str]:
    """The pokemontcg.io sets named by the price history CSV's `set` column (SWSH06 -> swsh6,
    SV03.5 -> sv3pt5, SWSH07.5 "Celebrations" -> cel25 by name; sets newer than the data's
    Nov 2024 cut-off have no match and are left out)."""
    from catalogue.importers.tcgplayer_products import pokemontcg_set_id

    known = {s["id"]: s["name"] for s in sets}
    with (source / "prices" / "tcgplayer_history.csv").open(encoding="utf-8",
                                                            newline="") as handle:
        # a sealed row's name is the set's name; a card row's is the card's
        pairs = sorted({(row["set"], "" if row["type"] == "Card" else row["name"])
                        for row in csv.DictReader(handle)})
    found: list[str] = []
    for code, name in pairs:
        set_id = pokemontcg_set_id(code, name, known)
        if set_id and set_id not in found:
            found.append(set_id)
    return found


def build_pokemon(source: Path, writer: Writer) -> dict[str, Any]:
    sets = load_json(source / "pokemon" / "sets" / "en.json")
    wanted = POKEMON_WOTC + [s for s in pokemon_price_set_ids(source, sets)
                             if s not in POKEMON_WOTC]
    by_id = {s["id"]: s for s in sets}
    missing = [s for s in wanted if s not in by_id]
    if missing:
        raise SystemExit(f"pokemon sets missing from the source: {missing}")
    # keep the source's order (release order)
    chosen = [s for s in sets if s["id"] in set(wanted)]
    writer.gz("pokemon/sets/en.json", dump_json(chosen))
    cards = 0
    for set_obj in chosen:
        data = load_json(source / "pokemon" / "cards" / "en" / f"{set_obj['id']}.json")
        cards += len(data)
        writer.gz(f"pokemon/cards/en/{set_obj['id']}.json", dump_json(data))
    return {"sets": [s["id"] for s in chosen], "cards": cards}


# --- Magic ---------------------------------------------------------------------------------

def trim_mtg(document: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in document["data"].items() if k not in MTG_SET_DROP}
    cards = []
    for card in data.get("cards", []):
        card = {k: v for k, v in card.items() if k not in MTG_CARD_DROP}
        card["foreignData"] = [{k: v for k, v in entry.items() if k in MTG_FOREIGN_KEEP}
                               for entry in card.get("foreignData", [])]
        cards.append(card)
    data["cards"] = cards
    if "sealedProduct" in data:
        data["sealedProduct"] = [{k: v for k, v in product.items() if k not in MTG_SEALED_DROP}
                                 for product in data["sealedProduct"]]
    return {"meta": document.get("meta", {}), "data": data}


def build_mtg(source: Path, writer: Writer) -> dict[str, Any]:
    cards = 0
    for code in MTG_SETS:
        document = trim_mtg(load_json(source / "mtg" / f"{code}.json"))
        cards += len(document["data"]["cards"])
        writer.gz(f"mtg/{code}.json", dump_json(document))
    return {"sets": MTG_SETS, "cards": cards}


# --- Whole-file games ----------------------------------------------------------------------

def build_whole_json(source: Path, writer: Writer, folder: str) -> dict[str, Any]:
    files = sorted((source / folder).glob("*.json"))
    rows = 0
    for path in files:
        data = load_json(path)
        rows += len(data) if isinstance(data, list) else 1
        writer.gz(f"{folder}/{path.name}", dump_json(data))
    licence = source / folder / "LICENSE"
    if licence.exists():
        writer.raw(f"{folder}/LICENSE", licence.read_bytes())
    return {"files": [p.name for p in files], "rows": rows}


def build_lorcana(source: Path, writer: Writer) -> dict[str, Any]:
    files = sorted((source / "lorcana").glob("*.yml"))
    for path in files:
        writer.gz(f"lorcana/{path.name}", path.read_bytes())
    writer.raw("lorcana/LICENSE", (source / "lorcana" / "LICENSE").read_bytes())
    return {"files": [p.name for p in files]}


# --- Yu-Gi-Oh! -----------------------------------------------------------------------------

def build_yugioh(source: Path, writer: Writer) -> dict[str, Any]:
    sets = [s for s in load_json(source / "yugioh" / "sets.json")
            if s.get("name", {}).get("en") in YUGIOH_EARLY]
    names = {s["name"]["en"] for s in sets}
    if names != YUGIOH_EARLY:
        raise SystemExit(f"yugioh sets missing from the source: {YUGIOH_EARLY - names}")
    referenced = {printing["card"] for s in sets for contents in s.get("contents", [])
                  for printing in contents.get("cards", [])}
    cards = [c for c in load_json(source / "yugioh" / "cards.json") if c["id"] in referenced]
    missing = referenced - {c["id"] for c in cards}
    if missing:
        raise SystemExit(f"yugioh: {len(missing)} referenced cards are not in cards.json")
    writer.gz("yugioh/sets.json", dump_json(sets))
    writer.gz("yugioh/cards.json", dump_json(cards))
    return {"sets": sorted(names), "cards": len(cards)}


# --- Prices --------------------------------------------------------------------------------

def build_prices(source: Path, writer: Writer) -> dict[str, Any]:
    path = source / "prices" / "tcgplayer_products.csv"
    writer.raw("prices/tcgplayer_products.csv", path.read_bytes())
    with path.open(encoding="utf-8", newline="") as handle:
        return {"rows": sum(1 for _ in csv.DictReader(handle))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"the real data folder (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the dataset (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    source, out = args.source.resolve(), args.out.resolve()
    if not (source / "README.md").exists():
        raise SystemExit(f"{source} does not look like the shared data folder")

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm.settings")
    import django

    django.setup()

    out.mkdir(parents=True, exist_ok=True)
    writer = Writer(out)
    summary = {
        "pokemon": build_pokemon(source, writer),
        "mtg": build_mtg(source, writer),
        "onepiece": build_whole_json(source, writer, "onepiece"),
        "fab": build_whole_json(source, writer, "fab"),
        "lorcana": build_lorcana(source, writer),
        "starwars": build_whole_json(source, writer, "starwars"),
        "yugioh": build_yugioh(source, writer),
        "prices": build_prices(source, writer),
    }
    removed = writer.prune(keep=[out / "README.md"])
    for path in removed:
        print(f"removed stale {path.relative_to(out)}")
    for game, info in summary.items():
        size = sum(n for p, n in writer.written.items()
                   if p.relative_to(out).parts[0] == game)
        print(f"{game:9} {size / 1e6:6.2f} MB  {json.dumps(info, ensure_ascii=False)}")
    total = sum(writer.written.values())
    print(f"total     {total / 1e6:6.2f} MB in {len(writer.written)} files under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
