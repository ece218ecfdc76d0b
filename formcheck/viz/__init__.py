"""Drawing and reports: the video overlay (overlay.py), per-frame states from an analysis (timeline.py),
SVG charts (svg.py, plots.py) and the HTML report (html.py)."""
