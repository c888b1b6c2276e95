"""Flesh and Blood: the card list of the npm package `@flesh-and-blood/cards` (fabrary).

The file form is the package's `cards` export as JSON: a list of cards, each with
`printings[]` (`identifier` "MST131", `print` "MST131-Rainbow", `set` "Part the Mistveil",
`rarity`, `edition`, `foiling`, `treatments`, `tcgplayer.productId`, `image`).

Each printing is a card row of its set (grouped by `set`); the collector number is the
identifier. Sets are coded by their identifier prefix ("MST131" -> MST); the few releases
printed under several prefixes (Promos: FAB, LGS, HER …) are keyed by their name instead.

Printings that share an identifier inside a set (1st edition / unlimited, rainbow / cold /
gold foil, extended or full art, card backs …) get a variant key built from those fields,
the same order as the package's `print` id: "" (plain), "rainbow", "1st-rainbow",
"cold-fa-back", "rainbow-aa-ab-ea" … (editions 1st/unl/alpha; treatments ea = extended art,
fa = full art, aa = alternate art, ab = alternate border, at = alternate text).

The live path reads the same package from a public npm CDN. The package ships only a
bundled JavaScript module (no JSON), so its `cards` export is evaluated by Node.js in an
empty `vm` context (no require, no process) and read back as JSON.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from catalogue.importers.base import CardRecord, RowError, SetBundle, SetRecord, parse_rows
from catalogue.importers.files import list_file_bundles, read_list, single_file
from csm.http import PoliteClient, SourceError

SOURCE = "fab"
TCG_SLUG = "fab"
LIVE_BASE_URL = "https://cdn.jsdelivr.net/npm/@flesh-and-blood/cards"
LIVE_MODULE_PATH = "dist/index.js"
IMAGE_URL = "https://content.fabrary.net/cards/{image}.webp"
NODE_TIMEOUT = 120

_IDENTIFIER = re.compile(r"^([A-Z0-9]+?)(\d+)$")
EDITIONS = {"First": "1st", "Unlimited": "unl", "Alpha": "alpha"}
FOILINGS = {"Rainbow": "rainbow", "Cold": "cold", "Gold": "gold"}
FINISHES = {"Rainbow": "rainbow_foil", "Cold": "cold_foil", "Gold": "gold_foil"}
TREATMENTS = {"Extended Art": "ea", "Full Art": "fa", "Alternate Art": "aa",
              "Alternate Border": "ab", "Alternate Text": "at"}
PITCH_COLOURS = {1: "Red", 2: "Yellow", 3: "Blue"}
CARD_FIELDS = ("cardIdentifier", "pitch", "cost", "power", "defense", "life", "intellect",
               "arcane", "types", "subtypes", "classes", "talents", "keywords", "typeText",
               "functionalText", "legalFormats", "legalHeroes", "hero", "specialCost",
               "specialPower", "specialDefense", "specialLife", "specialArcane", "young",
               "fusions", "specializations", "bonds", "flows", "traits", "metatypes",
               "oppositeSideCardIdentifier", "isCardBack", "shortName")


def _slug(text: str, sep: str = "_") -> str:
    return re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)


def set_prefix(identifier: str) -> str:
    match = _IDENTIFIER.match(identifier or "")
    if match is None:
        raise RowError(f"malformed identifier {identifier!r}")
    return match.group(1)


def variant_key_for(printing: dict[str, Any]) -> str:
    """The printing's key within its identifier (see the module docstring)."""
    identifier = printing["identifier"]
    parts = [p for p in str(printing.get("print") or identifier).removeprefix(identifier)
             .split("-") if p]
    edition = printing.get("edition") or next((p for p in parts if p in EDITIONS), None)
    foiling = printing.get("foiling") or next((p for p in parts if p in FOILINGS), None)
    treatments = {*(printing.get("treatments") or []), *([printing["treatment"]]
                  if printing.get("treatment") else []), *(p for p in parts if p in TREATMENTS)}
    tokens = [EDITIONS.get(edition, _slug(edition, "")) if edition else "",
              FOILINGS.get(foiling, _slug(foiling, "")) if foiling else ""]
    tokens += sorted(TREATMENTS.get(t) or _slug(t, "") for t in treatments)
    # Whatever else the print id says (Back, V2, …) follows, in the print id's order.
    known = {*EDITIONS, *FOILINGS, *TREATMENTS}
    tokens += [_slug(part, "") for part in parts if part not in known]
    key = "-".join(token for token in tokens if token)
    if len(key) > 32:
        raise RowError(f"variant key {key!r} is longer than 32 characters")
    return key


def display_name(card: dict[str, Any]) -> str:
    """'10,000 Year Reunion (Red)': pitch colours are separate cards with one name."""
    name = str(card.get("name") or "").strip()
    colour = PITCH_COLOURS.get(card.get("pitch"))
    return f"{name} ({colour})" if colour else name


def legalities_for(card: dict[str, Any]) -> dict[str, str]:
    legal = {_slug(f): "Legal" for f in card.get("legalFormats") or []}
    legal.update({_slug(f): "Restricted" for f in card.get("restrictedFormats") or []})
    legal.update({_slug(f): "Banned" for f in card.get("bannedFormats") or []})
    return legal


def parse_printing(card: dict[str, Any], printing: dict[str, Any]) -> CardRecord:
    """One printing of `card` as a card row of the printing's set."""
    if not isinstance(card, dict) or not isinstance(printing, dict):
        raise RowError("not a card/printing object")
    identifier = printing["identifier"]
    set_prefix(identifier)
    name = display_name(card)
    if not name:
        raise RowError("card without a name")
    key = variant_key_for(printing)
    product = (printing.get("tcgplayer") or {}).get("productId")
    try:
        product_id = int(product) if product not in (None, "") else None
    except (TypeError, ValueError) as exc:
        raise RowError(f"tcgplayer productId {product!r} is not a number") from exc
    image = printing.get("image")
    attributes = {field: card[field] for field in CARD_FIELDS if field in card}
    attributes.update({
        "name": card.get("name"),
        "print": printing.get("print"),
        "artists": printing.get("artists") or [],
        "edition": printing.get("edition"),
        "foiling": printing.get("foiling"),
        "treatments": printing.get("treatments") or [],
        "image": image,
    })
    if printing.get("isExpansionSlot"):
        attributes["is_expansion_slot"] = True
    if printing.get("oppositeImage"):
        attributes["opposite_image"] = printing["oppositeImage"]
    if url := (printing.get("tcgplayer") or {}).get("url"):
        attributes["tcgplayer_url"] = url
    return CardRecord(
        source_id=f"{identifier}-{key}" if key else identifier,
        name=name,
        number=identifier,
        variant_key=key,
        rarity=str(printing.get("rarity") or ""),
        card_type=str(card.get("typeText") or " ".join(card.get("types") or [])),
        image_url=IMAGE_URL.format(image=image) if image else "",
        attributes=attributes,
        variants=[FINISHES.get(printing.get("foiling") or "", "normal")],
        legalities=legalities_for(card),
        tcgplayer_product_id=product_id,
    )


def _row_ref(row: Any, index: int) -> str:
    card, printing = row
    if isinstance(printing, dict) and printing.get("print"):
        return str(printing["print"])
    name = card.get("cardIdentifier") if isinstance(card, dict) else None
    return f"{name or 'card'} printing {index + 1}"


def set_record_for(name: str, identifiers: list[str]) -> SetRecord:
    """Coded by the identifier prefix; a release with several prefixes is keyed by its name."""
    prefixes = Counter(match.group(1) for i in identifiers if (match := _IDENTIFIER.match(i)))
    if len(prefixes) == 1:
        (code,) = prefixes
        return SetRecord(source_id=code, name=name, code=code)
    codes = "/".join(p for p, _ in prefixes.most_common())
    return SetRecord(source_id=_slug(name, "-")[:64], name=name,
                     code=codes if len(codes) <= 32 else "")


def bundles_from_cards(cards: list[Any], *, only: set[str] | None = None
                       ) -> Iterator[SetBundle]:
    """One bundle per release, in order of first appearance."""
    if not isinstance(cards, list):
        raise SourceError("the Flesh and Blood card list is not a JSON list")
    by_set: dict[str, list[tuple[Any, Any]]] = {}
    loose: list[tuple[Any, Any]] = []
    for card in cards:
        printings = card.get("printings") if isinstance(card, dict) else None
        if not isinstance(printings, list) or not printings:
            loose.append((card, None))
            continue
        for printing in printings:
            set_name = printing.get("set") if isinstance(printing, dict) else None
            if isinstance(set_name, str) and set_name.strip():
                by_set.setdefault(set_name.strip(), []).append((card, printing))
            else:
                loose.append((card, printing))
    first = True
    for set_name, rows in by_set.items():
        record = set_record_for(set_name, [str(p.get("identifier") or "") for _, p in rows])
        if only is not None and not {record.source_id, record.code, set_name} & only:
            continue
        bundle = SetBundle(set_record=record)
        if first:  # printings without a release belong to no set; the first bundle carries them
            first = False
            parse_rows(bundle, loose, _no_set, _row_ref)
        parse_rows(bundle, rows, lambda row: parse_printing(*row), _row_ref)
        bundle.set_record = replace(record, total_cards=len(bundle.cards))
        yield bundle


def _no_set(row: tuple[Any, Any]) -> CardRecord:
    card, printing = row
    if printing is None:
        raise RowError("card without printings")
    raise RowError(f"printing without a set: {printing.get('set')!r}")




def bundles_from_path(path: Path, *, only: set[str] | None = None) -> Iterator[SetBundle]:
    yield from list_file_bundles(path, "cards.json", bundles_from_cards, only=only)


_NODE_SCRIPT = """
const vm = require("vm");
let code = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { code += chunk; });
process.stdin.on("end", () => {
  const module = { exports: {} };
  vm.runInNewContext(code, { module, exports: module.exports }, { timeout: %d });
  if (!Array.isArray(module.exports.cards)) throw new Error("no cards export");
  process.stdout.write(JSON.stringify(module.exports.cards));
});
"""


def _node_permission_flag(node: str) -> str:
    """Node's permission model flag (no file system, child processes or workers)."""
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True,  # noqa: S603
                                 timeout=10, check=True, env={}).stdout.strip()
        major = int(version.lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise SourceError(f"cannot tell the Node.js version: {exc}") from exc
    if major >= 23:
        return "--permission"
    if major >= 20:
        return "--experimental-permission"
    raise SourceError(f"reading @flesh-and-blood/cards live needs Node.js >= 20 (found {version})")


def cards_from_module(source: str) -> list[Any]:
    """The `cards` export of the package's bundled CommonJS module, evaluated by Node.js.

    The package publishes its data only as a bundled module, so reading it means running it —
    the same trust as installing the package as a dependency. It runs contained: a separate
    Node process with an empty environment (no secrets to read) under Node's permission model
    (no file system, no child processes, no workers), fed on stdin, with a time limit.
    """
    node = shutil.which("node")
    if node is None:
        raise SourceError("reading @flesh-and-blood/cards live needs Node.js (node) on PATH")
    command = [node, _node_permission_flag(node), "--no-warnings", "-e",
               _NODE_SCRIPT % (NODE_TIMEOUT * 1000)]
    try:
        done = subprocess.run(  # noqa: S603 - fixed script; the module arrives on stdin
            command, input=source.encode(), capture_output=True, timeout=NODE_TIMEOUT + 30,
            check=False, env={})
    except subprocess.TimeoutExpired as exc:
        raise SourceError("evaluating @flesh-and-blood/cards timed out") from exc
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        cause = next((line for line in lines if re.match(r"^\w*Error\b", line)),
                     lines[-1] if lines else "?")
        raise SourceError(f"evaluating @flesh-and-blood/cards failed: {cause}")
    return json.loads(done.stdout)


def bundles_from_live(client: PoliteClient, *, only: set[str] | None = None
                      ) -> Iterator[SetBundle]:
    module = client.get(LIVE_MODULE_PATH).content.decode("utf-8")
    yield from bundles_from_cards(cards_from_module(module), only=only)


def count_sets(path: Path | None, *, only: set[str] | None = None) -> int | None:
    if path is None:
        return None
    try:
        cards = read_list(single_file(Path(path), "cards.json"))
    except (OSError, EOFError, ValueError):
        return None  # the import reports it
    identifiers: dict[str, list[str]] = {}
    for card in cards:
        for printing in (card.get("printings") or []) if isinstance(card, dict) else []:
            if isinstance(printing, dict) and isinstance(printing.get("set"), str):
                identifiers.setdefault(printing["set"].strip(), []).append(
                    str(printing.get("identifier") or ""))
    if only is None:
        return len(identifiers)
    return sum(1 for name, ids in identifiers.items()
               if {(r := set_record_for(name, ids)).source_id, r.code, name} & only)
