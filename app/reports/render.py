"""HTML → PDF with WeasyPrint, fetching nothing but the packaged stylesheet and fonts.

User text reaches the templates only as autoescaped values, and the URL fetcher refuses
the network and every file outside the report static folder and the font folders, so a
progress note holding `<img src="http://…">` prints as text and fetches nothing.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "reports"
# Debian's texlive-lang-chinese installs the Fandol faces here, outside fontconfig's path.
DEFAULT_FONT_DIRS = ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",)
_FONT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(otf|ttf)")
_CONTENT_TYPES = {".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf", ".svg": "image/svg+xml",
                  ".png": "image/png"}

log = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """A URL the report renderer will not fetch."""


class PackagedFilesFetcher(URLFetcher):
    """Serves `font:NAME` from the font folders and file:// URLs inside STATIC_DIR; refuses all else."""

    def __init__(self, font_dirs=DEFAULT_FONT_DIRS):
        super().__init__(allowed_protocols=("file", "font"), allow_redirects=False)
        self.font_dirs = [Path(d) for d in font_dirs]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = self._resolve(url)
        if path is None:
            self.refused.append(url)
            log.warning("report renderer refused to fetch %s", url[:200])
            raise FetchRefused(f"refused: {url[:200]}")
        return URLFetcherResponse(
            url, path.read_bytes(),
            {"Content-Type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream")},
        )

    def _resolve(self, url: str) -> Path | None:
        if url.startswith("font:"):
            name = url.removeprefix("font:")
            if not _FONT_NAME.fullmatch(name):
                return None
            for folder in self.font_dirs:
                if (folder / name).is_file():
                    return folder / name
            return None
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if path.is_file() and path.is_relative_to(STATIC_DIR):
            return path
        return None


def render_html(template: str, context: dict) -> str:
    """The report's HTML from an autoescaped Jinja template, always in Chinese."""
    env = current_app.jinja_env
    with force_locale("zh"):
        return env.get_template(template).render(**context)


# A fixed identifier: the same HTML gives the same bytes.
PDF_OPTIONS = {"pdf_identifier": b"duban-report", "full_fonts": False}


def layout(html: str, *, fetcher: PackagedFilesFetcher | None = None):
    """Lay out `html` into pages (a WeasyPrint Document: its pages, then `write_pdf`)."""
    from weasyprint import DEFAULT_OPTIONS

    fetcher = fetcher or PackagedFilesFetcher(
        current_app.config.get("REPORT_FONT_DIRS", DEFAULT_FONT_DIRS)
    )
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    return document.render(**{**DEFAULT_OPTIONS, **PDF_OPTIONS})


def write_pdf(document) -> bytes:
    """The PDF of a laid-out document (deterministic: no timestamps beyond the document's)."""
    from weasyprint import DEFAULT_OPTIONS

    return document.write_pdf(**{**DEFAULT_OPTIONS, **PDF_OPTIONS})


def html_to_pdf(html: str, *, fetcher: PackagedFilesFetcher | None = None) -> bytes:
    """Lay out `html` and write the PDF (deterministic: no timestamps beyond the document's)."""
    return write_pdf(layout(html, fetcher=fetcher))
