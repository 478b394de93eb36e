"""Tiny inline SVG charts (horizontal stacked bars) for self-contained HTML reports."""

from __future__ import annotations

from collections.abc import Sequence

from keyshift.markup import html_text as escape

COLORS = {"head": "#c0392b", "history": "#e67e22", "image": "#8e44ad", "live": "#922b21", "other": "#2471a3"}


def stacked_bars(
    title: str, rows: Sequence[tuple[str, Sequence[tuple[str, int]]]], *, width: int = 640
) -> str:
    """One bar per row; each row is a list of (series, value). Labels and a legend are text in the SVG."""
    label_w, bar_h, gap = 190, 18, 6
    series = sorted({name for _, parts in rows for name, _ in parts})
    top = 34
    height = top + len(rows) * (bar_h + gap) + 10
    biggest = max([sum(v for _, v in parts) for _, parts in rows] or [1]) or 1
    scale = (width - label_w - 50) / biggest
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    x = float(label_w)
    for name in series:
        color = COLORS.get(name, COLORS["other"])
        out.append(f'<rect x="{x}" y="20" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="29" font-size="11">{escape(name)}</text>')
        x += 20 + 7 * len(name)
    for i, (label, parts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        anchor = f'x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end"'
        out.append(f"<text {anchor}>{escape(label[:30])}</text>")
        x = float(label_w)
        for name, value in parts:
            if value <= 0:
                continue
            w = value * scale
            color = COLORS.get(name, COLORS["other"])
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                f"<title>{escape(label)}: {value} {escape(name)}</title></rect>"
            )
            x += w
        total = sum(v for _, v in parts)
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{total}</text>')
    out.append("</svg>")
    return "\n".join(out)
