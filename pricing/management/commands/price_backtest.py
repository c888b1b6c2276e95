"""Walk-forward backtest of the price predictor against a random-walk baseline.

    manage.py price_backtest [--min-points 20] [--horizon 30 …] [--tcg pokemon] [--step 7]
                             [--window DAYS] [--min-train 3] [--include-synthetic]

Every card whose reference series (pricing.predictions: the series `/predict` uses, here over
its whole history) has at least `--min-points` daily prices is walked forward: at a cut point
every `--step` days the line is fitted to the points of the window up to the cut (the
predictor's own, `window_for(horizon)`, unless `--window` fixes one) and extrapolated to the
point nearest cut + horizon (within 3 days); the random walk predicts the value at the cut.
Reported per horizon: MAPE and median APE of both, their ratio (< 1: the predictor is
better), and how often the predictor was closer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalogue.models import TCG
from pricing import predictions

BATCH = 2000  # cards whose series are loaded at once


class Command(BaseCommand):
    help = "Walk-forward MAPE of the price predictor against a random-walk baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--min-points", type=int, default=20,
                            help="Cards need this many daily prices (default 20).")
        parser.add_argument("--horizon", type=int, action="append", dest="horizons",
                            help="Days ahead; repeat for several (default 7, 30 and 90).")
        parser.add_argument("--tcg", help="Only this game (a TCG slug).")
        parser.add_argument("--step", type=int, default=7,
                            help="Days between cut points (default 7).")
        parser.add_argument("--window", type=int,
                            help="Training window in days for every horizon (default: the "
                                 "predictor's, twice the horizon within 30–365); 0 = all "
                                 "history.")
        parser.add_argument("--include-synthetic", action="store_true",
                            help="Also evaluate synthetic price rows (left out by default).")
        parser.add_argument("--min-train", type=int, default=predictions.MIN_POINTS,
                            help="Points a cut needs in its window (default: the "
                                 f"predictor's minimum, {predictions.MIN_POINTS}).")

    def handle(self, *args: Any, **options: Any) -> None:
        horizons = sorted(set(options["horizons"] or [7, 30, 90]))
        for name, value, low in (("--min-points", options["min_points"], 2),
                                 ("--step", options["step"], 1),
                                 ("--window", options["window"] or 0, 0),
                                 ("--min-train", options["min_train"], 2),
                                 *(("--horizon", h, 1) for h in horizons)):
            if value < low:
                raise CommandError(f"{name} must be at least {low}")
        tcg = options["tcg"]
        if tcg and not TCG.objects.filter(slug=tcg).exists():
            raise CommandError(f"Unknown TCG {tcg!r}")
        window = options["window"]  # None: the predictor's; 0: all history
        summaries = self.run(horizons=horizons, tcg=tcg, min_points=options["min_points"],
                             step=options["step"], window=window,
                             min_train=options["min_train"],
                             synthetic=options["include_synthetic"],
                             progress=options.get("verbosity", 1) > 0)
        self.report(summaries, cards=self.cards_evaluated, options=options, window=window)

    def run(self, *, horizons: list[int], tcg: str | None, min_points: int, step: int,
            window: int | None = None, min_train: int = predictions.MIN_POINTS,
            synthetic: bool = False,
            progress: bool = False) -> list[dict[str, Any]]:
        candidates = predictions.candidate_rows()
        if not synthetic:
            candidates = candidates.filter(is_synthetic=False)
        if tcg:
            candidates = candidates.filter(card__tcg__slug=tcg)
        card_ids = list(candidates.order_by("card_id").values_list("card_id", flat=True)
                        .distinct())
        scores = {h: predictions.HorizonScore(h) for h in horizons}
        self.cards_evaluated = 0
        with tqdm(total=len(card_ids), unit="card", disable=not progress,
                  file=self.stderr) as bar:
            for start in range(0, len(card_ids), BATCH):
                batch = card_ids[start:start + BATCH]
                series = predictions.reference_series_by_card(
                    card_ids=batch, window=None, synthetic=synthetic)
                for card_id, s in series.items():
                    if len(s.dates) < min_points:
                        continue
                    self.cards_evaluated += 1
                    days = np.array([d.toordinal() for d in s.dates])
                    prices = np.array([float(p) for p in s.prices])
                    for h in horizons:
                        fit_window = (predictions.window_for(h) if window is None
                                      else window or None)
                        errors = predictions.walk_forward(days, prices, horizons=[h],
                                                          step=step, window=fit_window,
                                                          min_train=min_train)
                        scores[h].add(card_id, *errors[h])
                bar.update(len(batch))
        return [scores[h].summary() for h in horizons]

    def report(self, summaries: list[dict[str, Any]], *, cards: int, options: dict[str, Any],
               window: int | None) -> None:
        windows = {None: "twice the horizon within 30–365 days (the predictor's)",
                   0: "all history"}
        scope = f" ({options['tcg']})" if options["tcg"] else ""
        self.stdout.write(
            f"Walk-forward backtest{scope}: {cards} cards with at least "
            f"{options['min_points']} daily prices; a cut every {options['step']} days; "
            f"window {windows.get(window, f'{window} days')}; at least {options['min_train']} "
            "points per fit.")
        header = (f"{'horizon':>8} {'cards':>6} {'forecasts':>9} {'MAPE model':>11} "
                  f"{'MAPE r.walk':>11} {'ratio':>6} {'MdAPE model':>11} {'MdAPE r.walk':>12} "
                  f"{'model closer':>12}")
        self.stdout.write(header)
        for s in summaries:
            if not s["forecasts"]:
                self.stdout.write(f"{s['horizon']:>7}d {0:>6} {0:>9}   no forecasts")
                continue
            self.stdout.write(
                f"{s['horizon']:>7}d {s['cards']:>6} {s['forecasts']:>9} "
                f"{s['mape_model']:>10.2f}% {s['mape_baseline']:>10.2f}% {s['ratio']:>6.3f} "
                f"{s['median_ape_model']:>10.2f}% {s['median_ape_baseline']:>11.2f}% "
                f"{s['model_better_pct']:>11.1f}%")
        if not options["include_synthetic"]:
            self.stdout.write("Synthetic price rows are left out (--include-synthetic to "
                              "evaluate them).")
