"""Importing the TCGplayer price history: reading, cleaning, matching, idempotent writing."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalogue.models import SealedProduct
from catalogue.tests.factories import CardFactory, CardSetFactory, SealedProductFactory
from pricing import history
from pricing.history import HistoryReport, parse_row, price_history_import, read_history
from pricing.ingest import prices_changed
from pricing.models import Price, PriceSnapshot, ScrapeRun

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "prices"
DEMO_HISTORY = Path(history.__file__).resolve().parent / "demo_data" / "tcgplayer_history.csv.gz"
HEADER = ("set,type,period,name,period_start_date,period_end_date,timestamp,holofoil_price,"
          "volume\n")
PRODUCTS = ("set,type,period,name,url\n"
            "SV03,Booster Box,3M,Obsidian Flames,https://r.jina.ai/https://www.tcgplayer.com/"
            "product/501257/pokemon-sv03-obsidian-flames-booster-box?page=1\n"
            "SV03,Card,3M,Charizard ex 223,https://r.jina.ai/https://www.tcgplayer.com/"
            "product/509980/pokemon-sv03-obsidian-flames-charizard-ex-223-197?page=1\n")
TODAY = timezone.now().date()


def day(n: int) -> date:
    """n days ago."""
    return TODAY - timedelta(days=n)


def line(set_code: str, kind: str, name: str, end: date | None, price: str,
         volume: int = 3, *, scraped: date | None = None, hour: int = 6) -> str:
    if end is None:
        return f"{set_code},{kind},3M,{name},,,{(scraped or TODAY).isoformat()} 06:00:00,0.0,0\n"
    at = datetime.combine(scraped or end, datetime.min.time()).replace(hour=hour)
    return (f"{set_code},{kind},3M,{name},{end - timedelta(days=2)},{end},"
            f"{at:%Y-%m-%d %H:%M:%S},{price},{volume}\n")


def write(folder: Path, lines: list[str], products: str = PRODUCTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tcgplayer_history.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    (folder / "tcgplayer_products.csv").write_text(products, encoding="utf-8")
    return folder


def catalogue() -> tuple:
    """Obsidian Flames (sv3) with its Charizard ex #223 and its booster box."""
    sv3 = CardSetFactory(source_id="sv3", name="Obsidian Flames", code="OBF")
    charizard = CardFactory(card_set=sv3, number="223", name="Charizard ex",
                            variants=["holofoil"], tcgplayer_product_id=509980)
    CardFactory(card_set=sv3, number="224", name="Something else")
    box = SealedProductFactory(card_set=sv3, name="Obsidian Flames Booster Box",
                               source_id="tcgplayer-501257", tcgplayer_product_id=501257,
                               kind=SealedProduct.Kind.BOOSTER_BOX)
    return charizard, box


def series(name: str = "Charizard ex 223", kind: str = "Card", *, days: int = 10,
           start: float = 100.0) -> list[str]:
    return [line("SV03", kind, name, day(days - i), f"{start + i:.2f}", volume=i)
            for i in range(days)]


# --- Reading ---------------------------------------------------------------------------------

def test_a_period_dated_after_its_scrape_is_moved_one_year_back() -> None:
    raw = {"set": "SV01", "type": "Booster Box", "name": "Base Set",
           "period_start_date": "2026-10-04", "period_end_date": "2026-10-06",
           "timestamp": "2026-01-01 06:21:46", "holofoil_price": "246.85", "volume": "8"}
    row = parse_row(raw, 7, today=date(2026, 11, 21))
    assert (row.start, row.end, row.redated) == (date(2025, 10, 4), date(2025, 10, 6), True)
    assert row.price == Decimal("246.85") and row.volume == 8
    assert row.scraped_at == datetime(2026, 1, 1, 6, 21, 46, tzinfo=UTC)
    # a period ending on the day it was scraped is as it says
    same_day = parse_row({**raw, "period_start_date": "2025-10-04",
                          "period_end_date": "2025-10-06",
                          "timestamp": "2025-10-06 06:00:00"}, 8, today=date(2026, 11, 21))
    assert (same_day.end, same_day.redated) == (date(2025, 10, 6), False)


@pytest.mark.parametrize(("changes", "message"), [
    ({"holofoil_price": "abc"}, "is not a number"),
    ({"holofoil_price": "-2"}, "is not a price"),
    ({"holofoil_price": "99999999"}, "out of range"),
    ({"period_end_date": "2025-13-01"}, "is not a date"),
    ({"period_start_date": "2025-10-09"}, "starts"),
    ({"period_end_date": ""}, "without its period dates"),
    ({"timestamp": "yesterday"}, "is not a date and time"),
    ({"volume": "2.5"}, "not a whole number"),
    ({"name": ""}, "required"),
    ({"period_start_date": "2026-11-20", "period_end_date": "2026-11-22",
      "timestamp": "2026-11-22 06:00:00"}, "in the future"),
])
def test_bad_rows_raise_a_clear_error(changes: dict, message: str) -> None:
    raw = {"set": "SV01", "type": "Booster Box", "name": "Base Set",
           "period_start_date": "2025-10-04", "period_end_date": "2025-10-06",
           "timestamp": "2025-10-06 06:21:46", "holofoil_price": "246.85", "volume": "8",
           **changes}
    with pytest.raises(ValueError, match=message):
        parse_row(raw, 2, today=date(2026, 11, 21))


def test_rows_without_data_are_skipped_and_counted(tmp_path: Path) -> None:
    folder = write(tmp_path, [line("SV03", "Card", "Charizard ex 223", None, "0"),
                              line("SV03", "Card", "Charizard ex 223", day(3), "0.0"),
                              line("SV03", "Card", "Charizard ex 223", day(2), "101.50"),
                              line("SV03", "Card", "Charizard ex 223", day(1), "oops")])
    report = HistoryReport()
    rows = read_history(folder / "tcgplayer_history.csv", report)
    assert [r.price for r in rows] == [Decimal("101.50")]
    assert (report.rows, report.no_data) == (4, 2)
    assert [(e.row_ref, e.message) for e in report.errors] == [
        ("line 5", "holofoil_price 'oops' is not a number")]


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tcgplayer_history.csv"
    path.write_text("set,name,price\nSV03,x,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        read_history(path, HistoryReport())


def test_the_latest_scrape_of_a_period_wins_and_glitches_are_dropped(tmp_path: Path) -> None:
    lines = series(days=30, start=200.0)
    # an earlier scrape of day(5) (the period was still open) and a later one
    lines.append(line("SV03", "Card", "Charizard ex 223", day(5), "150.00", scraped=day(5),
                      hour=1))
    lines.append(line("SV03", "Card", "Charizard ex 223", day(5), "226.00", scraped=day(3)))
    # scraper glitches: a run of three cent-level prices
    lines += [line("SV03", "Card", "Charizard ex 223", day(40 + i), p)
              for i, p in enumerate(["0.70", "0.90", "1.41"])]
    report = HistoryReport()
    points = history.history_series(read_history(write(tmp_path, lines) /
                                                 "tcgplayer_history.csv", report), report)
    (values,) = points.values()
    assert report.outliers == 3 and report.duplicates == 2
    assert len(values) == 30 and values[0].day == day(30)
    assert {p.day: p.price for p in values}[day(5)] == Decimal("226.00")


def test_a_lasting_move_is_kept() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(120)]
    prices = [100.0] * 60 + [500.0] * 60  # a real jump: five times, for two months
    report = HistoryReport()
    assert history._kept(days, prices, report) == days
    assert report.outliers == 0


def test_the_shipped_demo_copy_reads_as_the_data_says() -> None:
    report = HistoryReport()
    rows = read_history(DEMO_HISTORY, report)
    points = history.history_series(rows, report)
    assert (report.rows, report.no_data, len(report.errors)) == (24325, 91, 0)
    assert (report.redated, report.duplicates, report.outliers) == (3790, 3616, 99)
    assert len(points) == 43
    assert all(p.day <= date(2026, 8, 22) for values in points.values() for p in values)
    assert sum(len(v) for v in points.values()) == len(rows) - 3616 - 99


@pytest.mark.skipif(not (SHARED_DATA / "tcgplayer_history.csv").exists(),
                    reason="the real data (../shared/data) is not on this machine")
def test_the_demo_copy_is_the_real_file_unchanged() -> None:
    shipped = DEMO_HISTORY.read_bytes()
    assert shipped[4:8] == b"\0\0\0\0" and not shipped[3] & 0x08  # no mtime, no file name
    assert gzip.decompress(shipped) == (SHARED_DATA / "tcgplayer_history.csv").read_bytes()


# --- Matching and writing --------------------------------------------------------------------

@pytest.mark.django_db
def test_import_writes_current_prices_and_daily_snapshots(
        tmp_path: Path, django_capture_on_commit_callbacks,  # noqa: ANN001
        django_assert_max_num_queries) -> None:  # noqa: ANN001
    charizard, box = catalogue()
    folder = write(tmp_path, [*series(days=10), *series("Obsidian Flames", "Booster Box",
                                                        days=5, start=300.0)])
    fired: list[dict] = []

    def listen(sender: object, **kwargs: object) -> None:
        fired.append(kwargs)

    # what the project's receivers do with the signal is their tests' business
    from pricing.receivers import on_prices_changed

    prices_changed.disconnect(on_prices_changed, dispatch_uid="pricing.prices_changed")
    prices_changed.connect(listen, dispatch_uid="test-history")
    try:
        with django_capture_on_commit_callbacks(execute=True), \
                django_assert_max_num_queries(28):
            report = price_history_import(path=folder)
    finally:
        prices_changed.disconnect(dispatch_uid="test-history")
        prices_changed.connect(on_prices_changed, dispatch_uid="pricing.prices_changed")
    assert (report.cards, report.sealed, report.unmatched) == (1, 1, [])
    assert (report.prices_written, report.snapshots_written) == (2, 15)
    card_price = Price.objects.get(card=charizard)
    assert (card_price.source, card_price.variant, card_price.condition, card_price.language,
            card_price.grade, card_price.currency) == ("tcgplayer", "holofoil", "NM", "en",
                                                       "raw", "USD")
    assert card_price.market_price == Decimal("109.00") and card_price.observations == 9
    assert card_price.recorded_at == datetime.combine(day(1), datetime.min.time(), tzinfo=UTC)
    assert not card_price.is_synthetic
    history_rows = list(card_price.snapshots.order_by("date")
                        .values_list("date", "market_price", "observations"))
    assert history_rows[0] == (day(10), Decimal("100.00"), 0)
    assert history_rows[-1] == (day(1), Decimal("109.00"), 9)
    assert len(history_rows) == 10
    sealed_price = Price.objects.get(sealed_product=box)
    assert (sealed_price.variant, sealed_price.market_price) == ("normal", Decimal("304.00"))
    assert sealed_price.snapshots.count() == 5
    assert fired == [{"signal": prices_changed, "card_ids": {charizard.pk},
                      "sealed_ids": {box.pk}, "source": "tcgplayer"}]
    run = ScrapeRun.objects.get(pk=report.run_id)
    assert (run.source, run.status, run.fetched, run.written, run.unmatched, run.invalid) == (
        "tcgplayer_history", "ok", 15, 15, 0, 0)


@pytest.mark.django_db
def test_a_second_import_writes_nothing(tmp_path: Path,
                                        django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    catalogue()
    folder = write(tmp_path, [*series(days=8), *series("Obsidian Flames", "Booster Box")])
    with django_capture_on_commit_callbacks(execute=False) as first:
        price_history_import(path=folder)
    assert len(first) == 1  # prices_changed, after commit
    before = list(PriceSnapshot.objects.order_by("pk").values_list()), \
        list(Price.objects.order_by("pk").values_list())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = price_history_import(path=folder, record_unchanged=False)
    assert (again.prices_written, again.snapshots_written, again.changed) == (0, 0, 0)
    assert (again.prices_unchanged, again.snapshots_unchanged) == (2, 18)
    assert callbacks == [] and again.run_id is None
    assert (list(PriceSnapshot.objects.order_by("pk").values_list()),
            list(Price.objects.order_by("pk").values_list())) == before
    assert ScrapeRun.objects.count() == 1
    # the command records every run it was asked for
    assert price_history_import(path=folder).run_id is not None


@pytest.mark.django_db
def test_a_corrected_file_updates_only_what_changed(tmp_path: Path) -> None:
    charizard, _box = catalogue()
    lines = series(days=6)
    price_history_import(path=write(tmp_path, lines))
    lines[2] = line("SV03", "Card", "Charizard ex 223", day(4), "150.00", volume=7)
    lines.append(line("SV03", "Card", "Charizard ex 223", day(0), "111.11", volume=4))
    report = price_history_import(path=write(tmp_path, lines))
    assert (report.prices_written, report.snapshots_written, report.snapshots_unchanged) == (
        1, 2, 5)
    price = Price.objects.get(card=charizard)
    assert (price.market_price, price.observations) == (Decimal("111.11"), 4)
    assert price.snapshots.get(date=day(4)).market_price == Decimal("150.00")
    assert price.snapshots.count() == 7


@pytest.mark.django_db
def test_a_newer_stored_price_is_kept_and_history_still_fills_the_days(tmp_path: Path) -> None:
    charizard, _box = catalogue()
    live = Price.objects.create(card=charizard, source="tcgplayer", variant="holofoil",
                                currency="USD", market_price=Decimal("120.00"),
                                recorded_at=timezone.now())
    report = price_history_import(path=write(tmp_path, series(days=4)))
    assert (report.prices_written, report.prices_stale, report.snapshots_written) == (0, 1, 4)
    live.refresh_from_db()
    assert live.market_price == Decimal("120.00")
    assert live.snapshots.count() == 4


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    catalogue()
    report = price_history_import(path=write(tmp_path, series(days=5)), dry_run=True)
    assert (report.prices_written, report.snapshots_written, report.cards) == (1, 5, 1)
    assert not Price.objects.exists() and not PriceSnapshot.objects.exists()
    assert not ScrapeRun.objects.exists() and report.run_id is None


@pytest.mark.django_db
def test_unmatched_products_are_reported_with_their_lines_never_guessed(tmp_path: Path) -> None:
    sv3 = CardSetFactory(source_id="sv3", name="Obsidian Flames")
    CardFactory(card_set=sv3, number="223", name="Not Charizard", variants=["holofoil"])
    lines = [*series(days=3),  # lines 2-4: the number exists, the name does not
             *[line("SV09", "Card", "Lillies Clefairy ex 184", day(i + 1), "50") for i in
               range(2)],  # lines 5-6: set not in the catalogue
             line("SV03", "Booster Box", "Obsidian Flames", day(1), "300")]  # no such box
    report = price_history_import(path=write(tmp_path, lines, products="set,type,name,url\n"))
    assert not Price.objects.exists()
    assert report.unmatched_rows == 6
    messages = {e.row_ref: e.message for e in report.unmatched}
    assert messages == {
        "lines 2–4 (3 rows)": "Card 'Charizard ex 223': no card with that number and name in "
                              "sv3 (Not Charizard #223)",
        "lines 5–6 (2 rows)": "Card 'Lillies Clefairy ex 184': set SV09 is not in the "
                              "catalogue",
        "line 7": "Booster Box 'Obsidian Flames': 0 booster_box products in sv3; not guessing",
    }
    run = ScrapeRun.objects.get(pk=report.run_id)
    assert run.unmatched == 6 and "Not Charizard #223" in run.error


@pytest.mark.django_db
def test_cards_match_by_set_number_and_name_without_a_product_id(tmp_path: Path) -> None:
    sv6pt5 = CardSetFactory(source_id="sv6pt5", name="Shrouded Fable")
    card = CardFactory(card_set=sv6pt5, number="92", name="Fezandipiti ex",
                       variants=["holofoil"])
    lines = [line("SV06.5", "Card", "Fezandipiti ex 092", day(1), "80")]
    report = price_history_import(path=write(tmp_path, lines, products="set,type,name,url\n"))
    assert report.cards == 1
    assert Price.objects.get().card == card


@pytest.mark.django_db
def test_set_and_product_id_must_agree(tmp_path: Path) -> None:
    charizard, _box = catalogue()
    charizard.tcgplayer_product_id = None
    charizard.save()
    CardFactory(name="Charizard ex", number="1", tcgplayer_product_id=509980)
    report = price_history_import(path=write(tmp_path, series(days=2)))
    assert report.cards == 0
    assert "TCGplayer product 509980 is linked to Charizard ex #1" in report.unmatched[0].message


@pytest.mark.parametrize(("variants", "expected"), [
    (["holofoil"], "holofoil"), ([], "holofoil"), (["holofoil", "reverse_holofoil"], "holofoil"),
    (["normal"], "normal"), (["normal", "reverse_holofoil"], None),
])
@pytest.mark.django_db
def test_the_card_price_takes_the_printing_finish(tmp_path: Path, variants: list[str],
                                                  expected: str | None) -> None:
    charizard, _box = catalogue()
    charizard.variants = variants
    charizard.save()
    report = price_history_import(path=write(tmp_path, series(days=2)))
    if expected is None:
        assert report.cards == 0
        assert "normal, reverse_holofoil; the history does not say which" in \
            report.unmatched[0].message
        assert not Price.objects.exists()
    else:
        assert Price.objects.get().variant == expected


@pytest.mark.django_db
def test_sealed_products_match_by_set_and_kind_without_a_product_id(tmp_path: Path) -> None:
    sv3 = CardSetFactory(source_id="sv3", name="Obsidian Flames")
    box = SealedProductFactory(card_set=sv3, kind=SealedProduct.Kind.BOOSTER_BOX)
    SealedProductFactory(card_set=sv3, kind=SealedProduct.Kind.ETB)
    lines = [line("SV03", "Booster Box", "Obsidian Flames", day(1), "300")]
    price_history_import(path=write(tmp_path, lines, products="set,type,name,url\n"))
    assert Price.objects.get().sealed_product == box


# --- Command and task ------------------------------------------------------------------------

@pytest.mark.django_db
def test_command_reports_rows_and_summary(tmp_path: Path) -> None:
    catalogue()
    lines = [*series(days=3), line("SV03", "Card", "Charizard ex 223", day(9), "x"),
             line("SV99", "Card", "Nobody 1", day(1), "5")]
    folder = write(tmp_path, lines)
    out, err = io.StringIO(), io.StringIO()
    call_command("price_history_import", str(folder / "tcgplayer_history.csv"), stdout=out,
                 stderr=err, verbosity=0)
    assert "row error: SV03 / line 5: holofoil_price 'x' is not a number" in err.getvalue()
    assert "unmatched: SV99 / line 6: Card 'Nobody 1'" in err.getvalue()
    assert "wrote 1 prices" in out.getvalue() and "3 daily snapshots" in out.getvalue()
    assert "Recorded as scrape run" in out.getvalue()
    assert ScrapeRun.objects.get().status == ScrapeRun.Status.PARTIAL

    out = io.StringIO()
    call_command("price_history_import", str(folder), "--dry-run", stdout=out, stderr=err,
                 verbosity=0)
    assert "would write 0 prices" in out.getvalue()


@pytest.mark.django_db
def test_command_refuses_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("price_history_import", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="no tcgplayer_history.csv"):
        call_command("price_history_import", str(tmp_path))


@pytest.mark.django_db
def test_celery_task_imports_and_returns_the_report(tmp_path: Path) -> None:
    from pricing.tasks import price_history_import as task

    catalogue()
    folder = write(tmp_path, series(days=4))
    result = task.delay(str(folder / "tcgplayer_history.csv"),
                        str(folder / "tcgplayer_products.csv")).get()
    assert (result["prices_written"], result["snapshots_written"]) == (1, 4)
    assert result["unmatched"] == [] and isinstance(result["run_id"], int)
    assert PriceSnapshot.objects.count() == 4
