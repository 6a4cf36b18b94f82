"""Every claimant page, in English and in Welsh: the security headers (a strict CSP with no
inline script, frame denial, no referrer, no caching of personal data), nothing the CSP would
block (no inline script, style or event handler), no external URL, one h1, unique ids, the
right language on <html>, and the language switch pointing back at the page itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from broker.extensions import db
from broker.models import OutboxMessage
from tests.accessibility.scene import build
from tests.conftest import csrf_from, sign_in

HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.h1 = 0
        self.lang = None
        self.inline: list[str] = []
        self.urls: list[str] = []
        self.next_fields: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "id" in values:
            self.ids.append(values["id"] or "")
        if tag == "h1":
            self.h1 += 1
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "style" or "style" in values:
            self.inline.append(f"style on <{tag}>")
        if tag == "script":
            self._script = not values.get("src")
        for name in values:
            if name.startswith("on"):
                self.inline.append(f"{name} on <{tag}>")
        for name in ("href", "src", "action", "formaction"):
            value = values.get(name) or ""
            if re.match(r"^(https?:)?//", value) or value.startswith("javascript:"):
                self.urls.append(value)
        if tag == "input" and values.get("name") == "next":
            self.next_fields.append(values.get("value") or "")

    def handle_data(self, data: str) -> None:
        if self._script and data.strip():
            self.inline.append("inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False


@pytest.fixture
def visits(app, ctx, frozen_clock):  # noqa: ANN001, ANN201
    """(name, path, response) for every claimant page, signed out and signed in."""
    scene = build(app, frozen_clock)

    def visit(language: str) -> list[tuple[str, str, object]]:
        anonymous = app.test_client()
        anonymous.set_cookie("language", language)
        phone = app.test_client()
        phone.set_cookie("language", language)  # the sign-in page's choice carries over
        sign_in(phone, scene.claimant.account.username)
        pages = [
            ("sign-in", "/sign-in", anonymous.get("/sign-in")),
            ("signed-out-404", "/nope", anonymous.get("/nope")),
        ]
        paths = {
            "home": "/",
            "access": "/access",
            "give-access": "/access/new",
            "confirm-revoke": f"/access/{scene.priya_grant.id}/revoke",
            "stop-all": "/access/stop-all",
            "history": "/history",
            "not-found": "/nope",
        }
        if "claimant.name_contact" in app.view_functions:
            paths["contact"] = "/contact/new"
        if "claimant.review" in app.view_functions and scene.tom_grant is not None:
            paths["review"] = f"/access/{scene.tom_grant.id}/review"
        if "consent.device_code" in app.view_functions:
            paths["device-code"] = "/device"
            if scene.user_code:
                paths["device-consent"] = f"/device?user_code={scene.user_code}"
        if "contact.letters_list" in app.view_functions:  # issue 15
            paths["letters"] = "/letters"
            paths["contact-preferences"] = "/contact-preferences"
            first = db.session.scalars(
                db.select(OutboxMessage.id).where(OutboxMessage.account_id == scene.claimant.id)
            ).first()
            db.session.rollback()
            paths["letter"] = f"/letters/{first}"
        pages += [(name, path, phone.get(path)) for name, path in paths.items()]
        form = phone.get("/access/new")
        fields = {
            "csrf_token": csrf_from(form.text),
            "adviser_code": scene.priya.code,
            "scopes": ["mr:read"],
            "months": "3",
            "purpose": "Appeal",
            "relationship": "Adviser",
        }
        pages.append(("confirm-access", "/access/new", phone.post("/access/new", data=fields)))
        empty = phone.post("/access/new", data={"csrf_token": fields["csrf_token"]})
        pages.append(("give-access-errors", "/access/new", empty))
        if "contact.preferences" in app.view_functions:
            wrong = {"csrf_token": fields["csrf_token"], "letters": ["sms"], "mobile": "123"}
            answer = phone.post("/contact-preferences", data=wrong)
            pages.append(("contact-preferences-errors", "/contact-preferences", answer))
        return pages

    return visit


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_claimant_page_is_safe_well_formed_and_in_its_language(visits, language):
    pages = visits(language)
    problems: list[str] = []
    for name, path, response in pages:
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        if (
            "frame-ancestors 'none'" not in csp
            or "script-src 'self'" not in csp
            or "unsafe-inline" in csp
            or "default-src 'none'" not in csp
        ):
            problems.append(f"{name}: weak CSP {csp!r}")
        for header, wanted in HEADERS.items():
            if headers.get(header) != wanted:
                problems.append(f"{name}: {header} is {headers.get(header)!r}")
        if "no-store" not in headers.get("Cache-Control", ""):
            problems.append(f"{name}: Cache-Control {headers.get('Cache-Control')!r}")
        page = _Page()
        page.feed(response.text)
        duplicates = {i for i in page.ids if page.ids.count(i) > 1}
        checks = (
            (page.h1 != 1, f"{page.h1} h1"),
            (bool(duplicates), duplicates),
            (page.lang != language, f"lang={page.lang}"),
            (bool(page.inline), page.inline),
            (bool(page.urls), page.urls),
            (page.next_fields[:1] != [path], f"switch goes to {page.next_fields}"),
        )
        problems += [f"{name}: {words}" for failed, words in checks if failed]
    assert len(pages) >= 11
    assert problems == []


def test_static_assets_are_not_marked_no_store_but_carry_the_other_headers(client):
    response = client.get("/static/build/app.css")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
