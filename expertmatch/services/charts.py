"""Dashboard charts, drawn on the server as SVG with matplotlib.

Charts are plain SVG (no script, no CDN), shown as ``<img>`` with an alt text that states the
numbers and followed by the same numbers in a table. Rendering uses matplotlib's object API
(``Figure``, no pyplot state) and one lock around the style (matplotlib's rcParams are
process-global), so it is safe in threaded workers; results are cached by their inputs:
the same numbers and labels give the same SVG, so a chart is drawn once per distinct content.
Labels arrive already translated; Chinese needs a CJK font, used when installed.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from flask_babel import gettext
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from expertmatch.i18n import code_name, format_money
from expertmatch.services.reports import Dashboard

CJK_FONT = "Noto Sans CJK SC"
LATIN_FONT = "DejaVu Sans"
BAR = "#0b4f8a"
INK = "#1b1f24"
_CACHE_SIZE = 128

# Missing glyphs (no CJK font installed) are not an error: the chart still renders.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its heading, its alt text and the SVG document."""

    name: str
    title: str
    alt: str
    svg: str

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


@functools.cache
def _font_families(locale: str) -> tuple[str, ...]:
    """Latin first for English, CJK first for Chinese; each falls back to the other per glyph.
    Without the CJK font, Latin only (silently)."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    if CJK_FONT not in installed:
        return (LATIN_FONT,)
    return (CJK_FONT, LATIN_FONT) if locale.startswith("zh") else (LATIN_FONT, CJK_FONT)


_STYLE_LOCK = threading.Lock()


@contextmanager
def _styled(locale: str) -> Iterator[None]:
    """Our style for one drawing; the lock keeps two threads from mixing rcParams."""
    with _STYLE_LOCK, rc_context(_style(locale)):
        yield


def _style(locale: str) -> dict:
    return {
        "font.family": list(_font_families(locale)),
        "font.size": 10,
        "svg.fonttype": "path",  # glyphs as outlines: the reader needs no font
        "svg.hashsalt": "expertmatch",  # stable ids: same input, same SVG
        "axes.edgecolor": INK,
        "text.color": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
    }


def _to_svg(fig: Figure) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph missing" when no CJK font is installed
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _height(rows: int) -> float:
    return max(1.6, 0.38 * rows + 0.9)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def horizontal_bars(title: str, labels: tuple[str, ...], values: tuple[float, ...],
                    axis_label: str, locale: str) -> str:
    """One bar per category, largest first as given, each bar labelled with its value."""
    with _styled(locale):
        fig = Figure(figsize=(7, _height(len(labels))))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        bars = ax.barh(positions, values, color=BAR)
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.bar_label(bars, labels=[_number(v) for v in values], padding=3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(axis_label)
        ax.set_title(title, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.12)
        return _to_svg(fig)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def load_bars(title: str, names: tuple[str, ...], loads: tuple[int, ...],
              capacities: tuple[int, ...], legend: tuple[str, str], axis_label: str,
              locale: str) -> str:
    """Load drawn over capacity: a hatched capacity bar behind each load bar, so the meaning
    does not rest on colour alone."""
    with _styled(locale):
        fig = Figure(figsize=(7, _height(len(names))))
        ax = fig.add_subplot()
        positions = list(range(len(names)))
        ax.barh(positions, capacities, color="white", edgecolor="#767d88", hatch="///",
                label=legend[1])
        ax.barh(positions, loads, height=0.5, color=BAR, label=legend[0])
        for y, load, capacity in zip(positions, loads, capacities, strict=True):
            # The label sits past both bars, where nothing is drawn under it.
            ax.text(max(load, capacity) + 0.1, y, f"{load}/{capacity}", va="center")
        ax.set_yticks(positions, names)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(axis_label)
        ax.set_title(title, loc="left", pad=24)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.15)
        return _to_svg(fig)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def amounts_by_currency(title: str, currencies: tuple[str, ...], amounts: tuple[float, ...],
                        shown: tuple[str, ...], locale: str) -> str:
    """One small panel per currency with its own scale: amounts in different currencies are
    never drawn on one axis."""
    with _styled(locale):
        fig = Figure(figsize=(7, 0.75 * len(currencies) + 0.8))
        axes = fig.subplots(len(currencies), 1, squeeze=False)[:, 0]
        for ax, currency, amount, text in zip(axes, currencies, amounts, shown, strict=True):
            bars = ax.barh([0], [amount], color=BAR, height=0.6)
            ax.bar_label(bars, labels=[text], padding=3)
            ax.set_yticks([0], [currency])
            ax.set_xticks([])
            ax.set_xlim(0, (amount or 1) * 1.6)
            ax.spines[["top", "right", "bottom"]].set_visible(False)
        axes[0].set_title(title, loc="left")
        return _to_svg(fig)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def describe(title: str, pairs: Sequence[tuple[str, str]], limit: int = 20) -> str:
    """An alt text that carries the numbers: “Title: a 3, b 2, …”."""
    shown = ", ".join(f"{label} {value}" for label, value in pairs[:limit])
    more = "…" if len(pairs) > limit else ""
    return f"{title}: {shown}{more}"


# ---------------------------------------------------------------------------------------------
# The dashboard's charts, labelled in the reader's language.

DASHBOARD_CHARTS = ("status", "dispute_type", "expert_load", "recovered")


def dashboard_chart(name: str, data: Dashboard, locale: str) -> Chart | None:
    """One chart of the dashboard, or None when it has nothing to show."""
    if name == "status" and data.by_status:
        title = gettext("Cases by status")
        labels = tuple(code_name("status", status) for status, _ in data.by_status)
        values = tuple(n for _, n in data.by_status)
        svg = horizontal_bars(title, labels, values, gettext("Cases"), locale)
        return Chart(name, title, describe(title, _pairs(labels, values)), svg)
    if name == "dispute_type" and data.by_dispute_type:
        title = gettext("Cases by dispute type")
        labels = tuple(code_name("dispute_type", code) if code else gettext("Not given")
                       for code, _ in data.by_dispute_type)
        values = tuple(n for _, n in data.by_dispute_type)
        svg = horizontal_bars(title, labels, values, gettext("Cases"), locale)
        return Chart(name, title, describe(title, _pairs(labels, values)), svg)
    if name == "expert_load" and data.expert_load:
        title = gettext("Most loaded experts (all centres)")
        names = tuple(row.name for row in data.expert_load)
        svg = load_bars(
            title, names, tuple(r.load for r in data.expert_load),
            tuple(r.capacity for r in data.expert_load),
            (gettext("Current cases"), gettext("Capacity")), gettext("Cases"), locale,
        )
        pairs = [(r.name, f"{r.load}/{r.capacity}") for r in data.expert_load]
        return Chart(name, title, describe(title, pairs), svg)
    if name == "recovered" and data.recovered:
        title = gettext("Amounts recovered in closed cases, per currency")
        currencies = tuple(r.currency or "?" for r in data.recovered)
        shown = tuple(format_money(r.amount, r.currency) for r in data.recovered)
        svg = amounts_by_currency(title, currencies, tuple(float(r.amount) for r in data.recovered),
                                  shown, locale)
        return Chart(name, title, describe(title, list(zip(currencies, shown, strict=True))), svg)
    return None


def _pairs(labels: Sequence[str], values: Sequence[float]) -> list[tuple[str, str]]:
    return [(label, _number(value)) for label, value in zip(labels, values, strict=True)]
