"""A crawl of every page reachable from the menu, as every demo role: Chinese, no "None",
no asset or link to the internet.

From each menu page the crawl also opens the first show, add and edit page it links to
(FAB's model pages), so their titles and forms are checked too.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROLES = ["admin", "office", "lead1", "worker1", "leader"]
# Proper nouns and names of formats that are written in Latin letters in Chinese text too.
ALLOWED_WORDS = {
    "Excel", "PDF", "Word", "WPS", "JSON", "URL", "ID", "HTTP", "HTTPS", "SMTP", "Email",
    "E-mail", "WeCom", "DingTalk", "Webhook", "webhook", "GB", "GDP", "KPI", "PPP", "REITs",
    "A4", "xlsx", "docx", "txt", "csv", "pdf", "png", "jpg", "jpeg", "ofd", "OFD",
    "LibreOffice", "zip", "Duban", "CPI", "QQ", "APP", "App", "App.", "OK", "IP", "AAA",
    "AAAA", "AI", "BIM", "G209", "EPC", "IPO", "VR", "AR", "MB", "KB",
    "English",  # the language switch names its language in that language
    "admin", "office", "leader",  # demo login names (data, not interface)
}
REPORTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOT_PAGES = re.compile(
    r"/(logout|lang/|login)|/export|/template/|/download|/evidence/|/delete|/api/|"
    r"/swagger|/static/|^#|^javascript|^mailto")
LOCAL_HOSTS = {"localhost", "127.0.0.1", ""}


def visible_text(page: str) -> str:
    """What a reader sees: the page without scripts, styles, tags and attribute values."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    # Text a user reads in attributes: placeholders, titles, labels, button values.
    shown = " ".join(re.findall(r'\s(?:placeholder|title|aria-label)="([^"]*)"', page))
    shown += " " + " ".join(re.findall(
        r'<input[^>]*type="(?:submit|button)"[^>]*value="([^"]*)"', page))
    page = re.sub(r'<input[^>]*type="hidden"[^>]*>', " ", page)
    page = re.sub(r"<[^>]+>", " ", page)
    return html_lib.unescape(page + " " + shown)


def english_words(text: str) -> list[str]:
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)  # example addresses are not words
    words = re.findall(r"(?<![\w.@/-])[A-Za-z][A-Za-z'-]{2,}(?![\w@/-])", text)
    return sorted({w for w in words if w not in ALLOWED_WORDS and w.strip("-") not in ALLOWED_WORDS})


def external_urls(page: str) -> list[str]:
    found = []
    for url in re.findall(r'(?:src|href|action)\s*=\s*["\']([^"\']+)["\']', page, re.I):
        parsed = urlparse(html_lib.unescape(url))
        if parsed.scheme in ("http", "https") and parsed.hostname not in LOCAL_HOSTS:
            found.append(url)
    # Scripts that load from a CDN (Google Charts and the like) by URL in code.
    found += re.findall(r"https?://(?!localhost|127\.0\.0\.1)[\w.-]+\.(?:com|net|org|cn|io)[^\s\"'<>]*"
                        r"(?=[^<]*</script>)", page)
    return found


def menu_links(page: str) -> list[str]:
    navbar = re.search(r'<div class="navbar.*?</div>\s*</div>\s*</div>', page, re.S)
    hrefs = re.findall(r'href="([^"]+)"', navbar.group(0) if navbar else page)
    return [h for h in dict.fromkeys(html_lib.unescape(h) for h in hrefs)
            if h.startswith("/") and not NOT_PAGES.search(h)]


def model_links(page: str) -> list[str]:
    """The first show, add and edit page a list links to."""
    found = []
    for kind in ("show", "add", "edit"):
        match = re.search(rf'href="(/[a-z]+/{kind}(?:/[^"]*)?)"', page)
        if match and not NOT_PAGES.search(match.group(1)):
            found.append(html_lib.unescape(match.group(1)))
    return found


def problems(page: str) -> dict:
    text = visible_text(page)
    found = {}
    if re.search(r"\bNone\b|__None", text):
        found["None"] = re.findall(r".{0,30}\bNone\b.{0,30}", text)[:3]
    words = english_words(text)
    if words:
        found["english"] = words[:20]
    urls = external_urls(page)
    if urls:
        found["external"] = urls[:5]
    if re.search(r"\d\.\d*0000\b", text):
        found["number"] = re.findall(r"\d+\.\d*0000\b", text)[:5]
    if re.search(r"\d{2}:\d{2}:\d{2}\.\d{3,}", text):
        found["time"] = re.findall(r"\S+ \d{2}:\d{2}:\d{2}\.\d+", text)[:3]
    return found


@pytest.mark.parametrize("username", ROLES)
def test_every_page_is_in_chinese_without_none_or_internet_assets(app, as_user, username):
    client = as_user(username)
    start = client.get("/", follow_redirects=True).get_data(as_text=True)
    queue = menu_links(start)
    assert len(queue) >= 3
    seen, bad = set(), {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow_redirects=True)
        if response.status_code in (403, 404, 405) or not response.mimetype.startswith("text/html"):
            continue
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        found = problems(page)
        if found:
            bad[url] = found
        if url in menu_links(start):
            queue += [u for u in model_links(page) if u not in seen]
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"crawl-{username}.json"
    report.write_text(json.dumps({"pages": sorted(seen), "problems": bad}, ensure_ascii=False, indent=1))
    assert not bad, f"{len(bad)} pages with problems (see {report}): {bad}"
