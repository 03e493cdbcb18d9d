"""Small static SVG charts for `report.html`: nothing to download, nothing run at view time.

Every chart labels its own values, so a count of 4 beside a target of 365 still reads.
Numbers are formatted with fixed rules, so the same data gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 760
BAR = 18
GAP = 6
LABEL_W = 220
LABEL_CHARS = 32  # what fits in LABEL_W at 12 px
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
BLUE, GREY, RED, GREEN, AMBER = "#1f4e78", "#d9d9d9", "#c00000", "#2e7d32", "#b26a00"
PALETTE = (BLUE, "#5b9bd5", "#a5a5a5", AMBER, GREEN, RED)


def number(value: float) -> str:
    """1234 -> "1,234"; 0.5 -> "0.5"; 1234.5678 -> "1,234.57" (fixed, so output is stable)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) >= 10 else f"{value:,.3g}"


def _svg(height: float, body: list[str], title: str, width: int = WIDTH) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height:.0f}" '
            f'viewBox="0 0 {width} {height:.0f}" {FONT}><title>{escape(title)}</title>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = "#222", weight: str = "") -> str:
    bold = ' font-weight="bold"' if weight else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{bold}>{escape(text)}</text>'


def _label(x: float, y: float, text: str) -> str:
    """A row label right-aligned before the bars, cut to fit (the whole text as its tooltip)."""
    shown = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" fill="#222"><title>{escape(text)}</title>'
            f"{escape(shown)}</text>")


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">{title}</rect>'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    target: float | None = None  # drawn as a tick (a bullet chart) when given
    note: str = ""  # text after the value label, e.g. "(1.1 % of target)"
    colour: str = BLUE


def bar_chart(bars: list[Bar], title: str, *, scale_to_target: bool = False) -> str:
    """Horizontal bars, one per row, each labelled with its value (and target).

    With `scale_to_target` each row is scaled to its own target, so every row shows its
    progress as a share: a district 4 of 365 and one 300 of 320 both read at a glance.
    """
    plot_w = WIDTH - LABEL_W - 190
    top = 8
    body: list[str] = []
    largest = max([b.value for b in bars] + [b.target or 0 for b in bars] + [1])
    for i, b in enumerate(bars):
        y = top + i * (BAR + GAP)
        full = (b.target or largest) if scale_to_target else largest
        scale = plot_w / full if full else 0
        body.append(_label(LABEL_W - 8, y + BAR - 5, b.label))
        if scale_to_target and b.target:
            body.append(_rect(LABEL_W, y, plot_w, BAR, GREY, f"target {number(b.target)}"))
        body.append(_rect(LABEL_W, y, min(b.value * scale, plot_w), BAR, b.colour, f"{b.label}: {number(b.value)}"))
        if b.target and not scale_to_target:
            tx = LABEL_W + b.target * scale
            body.append(f'<line x1="{tx:.1f}" y1="{y - 2:.1f}" x2="{tx:.1f}" y2="{y + BAR + 2:.1f}" '
                        f'stroke="{RED}" stroke-width="3"/>')
        shown = number(b.value) + (f" of {number(b.target)}" if b.target else "") + (f" {b.note}" if b.note else "")
        x = LABEL_W + (plot_w if scale_to_target and b.target else min(b.value * scale, plot_w)) + 6
        body.append(_text(x, y + BAR - 5, shown))
    return _svg(top * 2 + len(bars) * (BAR + GAP), body, title)


def diverging_chart(bars: list[Bar], title: str) -> str:
    """Bars either side of zero (match weights: evidence for a match right, against left)."""
    plot_w = WIDTH - LABEL_W - 80
    zero = LABEL_W + plot_w / 2
    largest = max([abs(b.value) for b in bars] + [1])
    scale = (plot_w / 2 - 40) / largest
    body = [f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{8 + len(bars) * (BAR + GAP):.1f}" stroke="#888"/>']
    for i, b in enumerate(bars):
        y = 6 + i * (BAR + GAP)
        w = abs(b.value) * scale
        x = zero if b.value >= 0 else zero - w
        body.append(_label(LABEL_W - 8, y + BAR - 5, b.label))
        body.append(_rect(x, y, w, BAR, GREEN if b.value >= 0 else RED, f"{b.label}: {number(b.value)}"))
        lx = x + w + 4 if b.value >= 0 else x - 4
        body.append(_text(lx, y + BAR - 5, f"{b.value:+.2f}", "start" if b.value >= 0 else "end"))
    return _svg(12 + len(bars) * (BAR + GAP), body, title)


def column_chart(categories: list[str], series: dict[str, list[float]], title: str, *,
                 marker: float | None = None, marker_label: str = "", height: int = 240) -> str:
    """Vertical columns per category (several series side by side), each labelled with its value;
    `marker` draws a dashed vertical line at that category position (e.g. the link threshold)."""
    left, bottom, top = 50, 40, 24
    plot_w, plot_h = WIDTH - left - 10, height - bottom - top
    largest = max([v for vals in series.values() for v in vals] + [1])
    slot = plot_w / max(len(categories), 1)
    width = max(min(slot * 0.8 / max(len(series), 1), 40), 1)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>']
    label_every = max(1, len(categories) // 20)
    for i, cat in enumerate(categories):
        x0 = left + i * slot + (slot - width * len(series)) / 2
        for j, (name, values) in enumerate(series.items()):
            v = values[i]
            h = plot_h * v / largest
            x = x0 + j * width
            body.append(_rect(x, top + plot_h - h, width - 1, h, PALETTE[j % len(PALETTE)], f"{cat} {name}: {number(v)}"))
            if v and len(categories) * len(series) <= 24:
                body.append(_text(x + width / 2, top + plot_h - h - 3, number(v), "middle"))
        if i % label_every == 0:
            body.append(_text(left + i * slot + slot / 2, top + plot_h + 14, cat, "middle"))
    if marker is not None:
        mx = left + marker * slot
        body.append(f'<line x1="{mx:.1f}" y1="{top - 6}" x2="{mx:.1f}" y2="{top + plot_h}" stroke="{RED}" '
                    f'stroke-dasharray="4 3"/>')
        body.append(_text(mx + 4, top + 4, marker_label, fill=RED))
    if len(series) > 1:
        for j, name in enumerate(series):
            x = left + j * 150
            body.append(_rect(x, height - 14, 10, 10, PALETTE[j % len(PALETTE)]))
            body.append(_text(x + 14, height - 5, name))
    return _svg(height, body, title)
