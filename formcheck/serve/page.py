"""The page of `formcheck serve` (one HTML file: inline CSS and a small script that uses the JSON API)."""

from __future__ import annotations

from functools import lru_cache

from formcheck.version import __version__


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("formcheck.serve", "templates"), autoescape=True)
    return env.get_template("index.html.j2")


def page_html(max_upload_mb: int, save: bool = False) -> str:
    """save: the "Save to my training history" box starts ticked (formcheck serve --save)."""
    return _template().render(max_upload_mb=max_upload_mb, save=save, version=__version__)
