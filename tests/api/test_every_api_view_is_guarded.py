"""Every view of a bearer-guarded blueprint declares its guard (scope, audit action, resource) or
is public on purpose; a new view that forgets fails here (as GOV.UK Notify checks every
blueprint). The staff systems' API guards every view at registration (its key check)."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.routing import UUIDConverter

from broker.oauth.protect import Rule
from broker.web.guarded import DECLARED, PUBLIC, guarded, public, undeclared

# The api blueprint's views open to all: the OpenAPI document.
OPEN = {"api.openapi"}


def test_every_api_view_declares_its_guard_or_is_public_on_purpose(app: Flask):
    views = {e: v for e, v in app.view_functions.items() if e.startswith("api.")}

    assert len(views) >= 7
    assert undeclared(app, "api") == []
    assert {e for e, v in views.items() if getattr(v, DECLARED) is PUBLIC} == OPEN
    for endpoint, view in views.items():
        if endpoint not in OPEN:
            rule = getattr(view, DECLARED)
            assert isinstance(rule, Rule), endpoint
            assert rule.scope and rule.action and rule.resource, endpoint


def test_an_id_a_view_reads_with_the_check_is_one_of_its_path_arguments(app: Flask):
    for rule in app.url_map.iter_rules():
        declared = getattr(app.view_functions[rule.endpoint], DECLARED, None)
        if isinstance(declared, Rule) and declared.by:
            assert declared.by in rule.arguments, rule.rule
            assert declared.joined is not None, rule.rule


def test_every_id_in_a_path_is_a_uuid(app: Flask):
    """Every API argument, and every `..._id` of the pages, is matched as a UUID by routing."""
    for rule in app.url_map.iter_rules():
        for name in rule.arguments:
            if rule.endpoint.startswith("api.") or name.endswith("_id"):
                assert isinstance(rule._converters[name], UUIDConverter), rule.rule


def test_a_page_given_what_is_not_an_id_says_not_found(client):
    for path in ("/access/not-an-id/revoke", "/access/" + "a" * 300 + "/review"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.text or "not found" in response.text.lower()


def test_a_page_gets_the_id_as_the_database_holds_it(app: Flask):
    with app.test_request_context():
        adapter = app.url_map.bind("broker.test")
        endpoint, args = adapter.match("/access/0F8FAD5B-D9CB-469F-A165-70867728950E/revoke")
    assert args == {"grant_id": "0f8fad5b-d9cb-469f-a165-70867728950e"}


def test_the_staff_api_checks_its_key_before_every_view(app: Flask):
    from broker.web.staff_api import require_staff_key

    assert require_staff_key in app.before_request_funcs.get("staff_api", []) + list(
        app.blueprints["staff_api"].before_request_funcs.get(None, [])
    )


def test_the_check_finds_a_view_that_forgets_its_guard():
    bp = Blueprint("api", __name__)

    @bp.get("/declared")
    @guarded("mr:read", action="mr.list", resource="mr_decisions")
    def declared(access, unit):  # noqa: ANN001, ANN202
        return "never run here"

    @bp.get("/open")
    @public
    def open_() -> str:
        return "open"

    @bp.get("/forgotten")
    def forgotten() -> str:
        return "data"

    probe = Flask(__name__)
    probe.register_blueprint(bp)

    assert undeclared(probe, "api") == ["api.forgotten"]
