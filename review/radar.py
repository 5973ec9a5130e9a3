"""A radar chart (雷达图) of the seven GB/T 19580 categories as plain SVG, for PDFs and pages alike.

Pure: it takes labels and shares (0–1 of each category's points) and returns SVG markup with every text
escaped, so WeasyPrint draws it with the page's Chinese font and no script or network is involved.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape

SIZE = 360
CENTRE = SIZE / 2
RADIUS = 120
RINGS = (0.2, 0.4, 0.6, 0.8, 1.0)
# Two series at most (material against on-site, or this applicant against the cycle's median).
SERIES_STYLES = (
    {"stroke": "#1f5fa8", "fill": "#1f5fa8", "dash": ""},
    {"stroke": "#c2410c", "fill": "#c2410c", "dash": "6 4"},
)


@dataclass(frozen=True)
class Series:
    """One polygon: a name for the legend and one share (0–1) per axis, in the axes' order."""

    name: str
    shares: tuple[Decimal | float, ...]


def _point(index: int, count: int, share: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count  # the first axis points up
    return CENTRE + RADIUS * share * math.cos(angle), CENTRE + RADIUS * share * math.sin(angle)


def _clamp(share) -> float:
    """The share within 0–1; a share that is not a number (NaN) draws at the centre rather than as "nan"."""
    value = float(share)
    if math.isnan(value):
        return 0.0
    return min(max(value, 0.0), 1.0)


def _polygon(points) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def radar_svg(labels: list[str], series: list[Series], *, title: str = "") -> str:
    """SVG markup of a radar over `labels` (one axis each) with up to two `series`."""
    count = len(labels)
    if count < 3:
        raise ValueError("a radar needs at least three axes")
    if len(series) > len(SERIES_STYLES):
        raise ValueError("a radar shows at most two series")
    for one in series:
        if len(one.shares) != count:
            raise ValueError("each series needs one share per axis")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE + 40}" '
        f'width="{SIZE}" height="{SIZE + 40}" role="img" aria-label="{escape(title)}" class="radar">'
    ]
    for ring in RINGS:
        ring_points = [_point(i, count, ring) for i in range(count)]
        parts.append(f'<polygon points="{_polygon(ring_points)}" fill="none" stroke="#cbd5e1" stroke-width="1"/>')
    for index, label in enumerate(labels):
        x, y = _point(index, count, 1)
        parts.append(f'<line x1="{CENTRE}" y1="{CENTRE}" x2="{x:.1f}" y2="{y:.1f}" stroke="#cbd5e1"/>')
        lx, ly = _point(index, count, 1.18)
        anchor = "middle" if abs(lx - CENTRE) < 10 else ("start" if lx > CENTRE else "end")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" font-size="11" text-anchor="{anchor}" fill="#334155">'
            f"{escape(label)}</text>"
        )
    for style, one in zip(SERIES_STYLES, series, strict=False):
        points = [_point(i, count, _clamp(share)) for i, share in enumerate(one.shares)]
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        parts.append(
            f'<polygon points="{_polygon(points)}" fill="{style["fill"]}" fill-opacity="0.15" '
            f'stroke="{style["stroke"]}" stroke-width="2"{dash}/>'
        )
    for position, (style, one) in enumerate(zip(SERIES_STYLES, series, strict=False)):
        x = 20 + position * 170
        parts.append(
            f'<rect x="{x}" y="{SIZE + 14}" width="14" height="8" fill="{style["fill"]}" fill-opacity="0.5"/>'
            f'<text x="{x + 20}" y="{SIZE + 22}" font-size="11" fill="#334155">{escape(one.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
