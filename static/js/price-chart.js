/* CollectorsStashMarket — the card page's price chart.
 *
 * A small hand-written SVG line chart (no library, no CDN): one line per price series (source,
 * variant, language, currency) from GET /api/cards/{id}/price-history?days=N, with a period
 * switch. Progressive: the figure is `hidden` in the HTML and shown here; without JavaScript
 * the page's table of current prices stands alone. Translated strings come from the page
 * (data-* attributes and the #price-chart-labels JSON), never from this file.
 */
(function () {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const HEIGHT = 260;
  const PAD = { top: 12, right: 16, bottom: 28, left: 56 };
  const DAY = 86400000;
  const COLOURS = {
    tcgplayer: "#2563eb", cardmarket: "#059669", scryfall: "#7c3aed", cardtrader: "#d97706",
    pricecharting: "#db2777", ebay: "#dc2626", ygoprodeck: "#0891b2",
  };
  const DASHES = ["", "6 4", "2 3", "10 3 2 3"];

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function utcDay(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return Date.UTC(y, m - 1, d);
  }

  /* Round tick steps (1, 2, 2.5, 5 × 10^n) for about `count` ticks over [lo, hi]. */
  function ticks(lo, hi, count) {
    const span = hi - lo || Math.abs(hi) || 1;
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  /* snapshots -> [{key, source, variant, language, currency, points: [[t, price, date]]}] */
  function seriesOf(snapshots) {
    const byKey = new Map();
    for (const s of snapshots) {
      if (s.market_price === null) continue;
      const key = [s.source, s.variant, s.language, s.currency].join("|");
      if (!byKey.has(key)) {
        byKey.set(key, { key, source: s.source, variant: s.variant, language: s.language,
                         currency: s.currency, points: [] });
      }
      byKey.get(key).points.push([utcDay(s.date), s.market_price, s.date]);
    }
    const perSource = {};
    return [...byKey.values()].map((series) => {
      const n = perSource[series.source] = (perSource[series.source] || 0) + 1;
      series.colour = COLOURS[series.source] || "#475569";
      series.dash = DASHES[(n - 1) % DASHES.length];
      return series;
    });
  }

  class PriceChart {
    constructor(figure) {
      this.figure = figure;
      this.url = figure.dataset.url;
      this.days = Number(figure.dataset.days) || 90;
      this.plot = figure.querySelector("[data-chart-plot]");
      this.legend = figure.querySelector("[data-chart-legend]");
      this.status = figure.querySelector("[data-chart-status]");
      this.buttons = [...figure.querySelectorAll("button[data-days]")];
      const labels = document.getElementById("price-chart-labels");
      this.labels = labels ? JSON.parse(labels.textContent) : { sources: {}, variants: {} };
      this.lang = document.documentElement.lang || "en";
      this.request = 0;
      this.data = null;
      for (const button of this.buttons) {
        button.addEventListener("click", () => this.load(Number(button.dataset.days)));
      }
      let width = 0;
      new ResizeObserver(() => {
        if (this.plot.clientWidth !== width && this.data) this.draw(this.data);
        width = this.plot.clientWidth;
      }).observe(this.plot);
      figure.hidden = false;
      this.load(this.days);
    }

    say(text) {
      this.status.textContent = text || "";
      this.status.hidden = !text;
    }

    async load(days) {
      this.days = days;
      for (const button of this.buttons) {
        button.setAttribute("aria-pressed", String(Number(button.dataset.days) === days));
      }
      const request = ++this.request;
      this.figure.setAttribute("aria-busy", "true");
      this.say(this.figure.dataset.loading);
      try {
        const response = await fetch(`${this.url}?days=${days}`, {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        if (request !== this.request) return; // a newer period was chosen meanwhile
        this.data = body;
        this.draw(body);
      } catch (error) {
        if (request !== this.request) return;
        this.data = null;
        this.plot.replaceChildren();
        this.legend.replaceChildren();
        this.say(this.figure.dataset.error);
      } finally {
        if (request === this.request) this.figure.removeAttribute("aria-busy");
      }
    }

    label(series) {
      const source = this.labels.sources[series.source] || series.source;
      const variant = this.labels.variants[series.variant] || series.variant;
      const language = series.language !== "en" ? ` ${series.language.toUpperCase()}` : "";
      return `${source} · ${variant}${language} (${series.currency})`;
    }

    draw(body) {
      const series = seriesOf(body.snapshots);
      this.plot.replaceChildren();
      this.legend.replaceChildren();
      this.figure.dataset.days = String(body.days);
      if (!series.length) {
        this.say(this.figure.dataset.empty);
        return;
      }
      this.say("");
      const width = Math.max(this.plot.clientWidth || 600, 280);
      const end = utcDay(new Date().toISOString().slice(0, 10));
      const start = end - body.days * DAY;
      const prices = series.flatMap((s) => s.points.map((p) => p[1]));
      let lo = Math.min(...prices), hi = Math.max(...prices);
      const margin = (hi - lo) * 0.08 || hi * 0.05 || 1;
      lo = Math.max(0, lo - margin);
      hi += margin;
      const x = (t) => PAD.left + (t - start) / (end - start) * (width - PAD.left - PAD.right);
      const y = (v) => PAD.top + (hi - v) / (hi - lo) * (HEIGHT - PAD.top - PAD.bottom);
      const money = new Intl.NumberFormat(this.lang, { maximumFractionDigits: 2 });
      const dateFormat = new Intl.DateTimeFormat(this.lang, {
        day: "numeric", month: "short", timeZone: "UTC",
        ...(body.days > 180 ? { year: "2-digit" } : {}),
      });
      const longDate = new Intl.DateTimeFormat(this.lang, { dateStyle: "medium", timeZone: "UTC" });
      const active = this.buttons.find((b) => Number(b.dataset.days) === body.days);
      const title = this.figure.querySelector(".price-chart-title");

      const svg = el("svg", {
        width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: "img",
        "aria-label": `${title ? title.textContent : ""}: ${active ? active.textContent.trim() : ""}`
          + ` — ${series.map((s) => this.label(s)).join(", ")}`,
      });
      const grid = el("g", { class: "grid" }, svg);
      for (const v of ticks(lo, hi, 5)) {
        el("line", { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }, grid);
        el("text", { x: PAD.left - 8, y: y(v), "text-anchor": "end", "dominant-baseline": "middle" },
           grid).textContent = money.format(v);
      }
      const xTicks = Math.max(2, Math.min(6, Math.floor(width / 110)));
      for (let i = 0; i <= xTicks; i++) {
        const t = start + (end - start) * i / xTicks;
        const anchor = i === 0 ? "start" : i === xTicks ? "end" : "middle";
        el("text", { x: x(t), y: HEIGHT - 8, "text-anchor": anchor }, grid).textContent =
          dateFormat.format(new Date(t));
      }
      for (const s of series) {
        const group = el("g", { class: "series", "data-source": s.source,
                                "data-series": s.key }, svg);
        if (s.points.length > 1) {
          el("polyline", {
            points: s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" "),
            fill: "none", stroke: s.colour, "stroke-width": 2, "stroke-dasharray": s.dash,
            "stroke-linejoin": "round", "stroke-linecap": "round",
          }, group);
        }
        const radius = s.points.length > 90 ? 1.5 : 3;
        for (const [t, price, iso] of s.points) {
          const dot = el("circle", { cx: x(t), cy: y(price), r: radius, fill: s.colour }, group);
          el("title", {}, dot).textContent =
            `${this.label(s)} — ${longDate.format(new Date(utcDay(iso)))}: ${money.format(price)}`;
        }
        const item = document.createElement("li");
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.borderTopColor = s.colour;
        swatch.style.borderTopStyle = s.dash ? "dashed" : "solid";
        item.append(swatch, this.label(s));
        item.dataset.source = s.source;
        this.legend.appendChild(item);
      }
      this.plot.appendChild(svg);
    }
  }

  function init() {
    for (const figure of document.querySelectorAll("[data-price-chart]")) new PriceChart(figure);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
