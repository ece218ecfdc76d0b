"""Small SVG primitives for inline charts (markupsafe: every text and attribute value is escaped).

Charts are width-responsive without scaling their text: x positions and widths are percentages of
the chart's width (`pct`), y positions are pixels. Lines through data go in `stretched_polyline`, an
inner SVG stretched to the plot area with non-scaling strokes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

Length = float | int | str


def pct(x: float) -> str:
    """A percentage of the chart width, e.g. pct(12.5) -> '12.5%'."""
    return f"{x:.3f}".rstrip("0").rstrip(".") + "%"


def _value(v: Length) -> str:
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


def element(tag: str, attrs: dict[str, Length | None], children: Iterable[Markup | str] = ()) -> Markup:
    """<tag a="v" ...>children</tag>; None attributes are left out; str children are escaped."""
    attr = "".join(
        f' {k.rstrip("_").replace("_", "-")}="{escape(_value(v))}"' for k, v in attrs.items() if v is not None
    )
    body = Markup("").join(escape(c) for c in children)
    return Markup(f"<{tag}{attr}>{body}</{tag}>") if body or tag in ("text", "svg", "g") else Markup(f"<{tag}{attr}/>")


def title(text: str) -> Markup:
    """A tooltip (and an accessible name) for the enclosing element."""
    return element("title", {}, [text])


def svg(children: Sequence[Markup], height: int, label: str, class_: str | None = None) -> Markup:
    return element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": "100%",
            "height": height,
            "role": "img",
            "aria-label": label,
            "class": class_,
        },
        children,
    )


def group(children: Sequence[Markup], class_: str | None = None) -> Markup:
    return element("g", {"class": class_}, children)


def rect(
    x: Length,
    y: Length,
    width: Length,
    height: Length,
    class_: str | None = None,
    tip: str | None = None,
    rx: float | None = None,
) -> Markup:
    return element(
        "rect",
        {"x": x, "y": y, "width": width, "height": height, "class": class_, "rx": rx},
        [title(tip)] if tip else [],
    )


def line(x1: Length, y1: Length, x2: Length, y2: Length, class_: str | None = None) -> Markup:
    return element("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "class": class_})


def circle(cx: Length, cy: Length, r: float, class_: str | None = None, tip: str | None = None) -> Markup:
    return element("circle", {"cx": cx, "cy": cy, "r": r, "class": class_}, [title(tip)] if tip else [])


def text(
    x: Length, y: Length, content: str, class_: str | None = None, anchor: str | None = None, dx: float | None = None
) -> Markup:
    return element("text", {"x": x, "y": y, "dx": dx, "class": class_, "text-anchor": anchor}, [content])


def stretched_polyline(
    xs: Sequence[float], ys: Sequence[float], y: int, height: int, class_: str | None = None
) -> Markup:
    """A data line in an inner SVG filling the chart's width and [y, y + height] px.

    xs and ys are fractions 0..1 of the width (left to right) and of the height (bottom to top); a
    non-finite value breaks the line (a gap in the data)."""
    runs: list[list[str]] = [[]]
    for a, b in zip(xs, ys):
        if math.isfinite(a) and math.isfinite(b):
            runs[-1].append(f"{1000 * a:.1f},{1000 * (1 - b):.1f}")
        elif runs[-1]:
            runs.append([])
    lines = [
        element(
            "polyline", {"points": " ".join(r), "class": class_, "vector-effect": "non-scaling-stroke", "fill": "none"}
        )
        for r in runs
        if len(r) > 1
    ]
    return element(
        "svg",
        {
            "x": 0,
            "y": y,
            "width": "100%",
            "height": height,
            "viewBox": "0 0 1000 1000",
            "preserveAspectRatio": "none",
            "overflow": "visible",
        },
        lines,
    )
