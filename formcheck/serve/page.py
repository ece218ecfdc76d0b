"""The page of `formcheck serve` (one HTML file: inline CSS and a small script that uses the JSON API)."""

from __future__ import annotations

from functools import lru_cache

from formcheck.version import __version__


@lru_cache(maxsize=1)
def _template():  # noqa: ANN202 - a jinja2 Template
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("formcheck.serve", "templates"), autoescape=True)
    return env.get_template("index.html.j2")


def page_html(max_upload_mb: int) -> str:
    return _template().render(max_upload_mb=max_upload_mb, version=__version__)
