"""Every view of a bearer-guarded blueprint declares its guard (scope, audit action, resource) or
is public on purpose; a new view that forgets fails here (as GOV.UK Notify checks every
blueprint). The staff systems' API guards every view at registration (its key check)."""

from __future__ import annotations

from flask import Blueprint, Flask

from broker.protect import Rule
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


def test_every_id_in_an_api_path_is_a_uuid(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for name in rule.arguments:
                assert type(rule._converters[name]).__name__ == "UUIDConverter", rule.rule


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
