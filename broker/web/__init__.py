"""Blueprints, one per audience, each with its access check bound at registration."""

from __future__ import annotations

from flask import Flask

from ..casework import journal
from ..consent import grants
from . import (
    account,
    admin,
    adviser,
    api,
    auth,
    boundary,
    callbacks,
    claimant,
    consent,
    contact,
    contact_request,
    evidence_bundles,
    health,
    ids,
    invitation,
    metrics,
    nominated,
    notice_pages,
    notices,
    oauth,
    oidc_flow,
    one_login,
    organisation,
    proof,
    staff,
    staff_api,
    staff_contacts,
    staff_disputes,
    staff_letters,
    staff_sign_in,
    window_fields,
    wording,
)
from .access import forget_request_state, guard_blueprint, home_for, public_endpoints
from .boundary import current_account

__all__ = ["current_account", "forget_request_state", "home_for", "public_endpoints"]


def register_blueprints(app: Flask) -> None:
    ids.init_app(app)
    for blueprint in (auth.bp, claimant.bp, adviser.bp, staff.bp, api.bp, oauth.bp, proof.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(notices.bp)  # issue 27: the claimant's signed MR decision notice
    guard_blueprint(app, claimant.bp.name, "claimant")
    guard_blueprint(app, notices.bp.name, "claimant")
    guard_blueprint(app, adviser.bp.name, "adviser")
    guard_blueprint(app, staff.bp.name, "staff")
    app.context_processor(lambda: {"current_account": current_account()})
    wording.register(app)
    window_fields.register(app)
    register_staff_side(app)
    register_oauth_side(app)
    register_contact_side(app)
    register_agencies(app)
    app.register_blueprint(staff_disputes.bp)  # issue 27: claimants' "This wasn't right"
    guard_blueprint(app, staff_disputes.bp.name, "staff")
    staff_disputes.register(app)
    notice_pages.register(app)  # issue 27: what every signed document's page shows
    app.register_blueprint(evidence_bundles.bp)  # issue 27: an adviser's evidence bundles
    guard_blueprint(app, evidence_bundles.bp.name, "adviser")
    app.register_blueprint(account.bp)  # issue 17: every audience's own sign-in and passkeys
    register_external_sign_in(app)
    app.register_blueprint(health.bp)  # issue 26: /healthz and /readyz, open to all
    app.register_blueprint(metrics.bp)  # issue 26: /metrics, only with its own bearer token
    # The API's views are units of work of their own: the guard (broker.oauth.protect) commits each
    # with its audit event.
    boundary.bind(app, (name for name in app.blueprints if name != api.bp.name))


def register_agencies(app: Flask) -> None:
    """Advice agencies (issue 25): an organisation admin's pages, and accepting an invitation
    (open: the invitee has no account yet; the link's token is the key)."""
    app.register_blueprint(organisation.bp)
    app.register_blueprint(invitation.bp)
    guard_blueprint(app, organisation.bp.name, "adviser")


def register_external_sign_in(app: Flask) -> None:
    """Sign-in through OpenID Connect providers (issue 25): GOV.UK One Login for claimants
    and the department's provider for staff, and their back-channel logout."""
    oidc_flow.init_app(app)
    app.register_blueprint(one_login.bp)
    app.register_blueprint(staff_sign_in.bp)


def register_oauth_side(app: Flask) -> None:
    """The claimant's answers to OAuth requests (consent, device verification) and client
    registration by admins (issue 3). The machine endpoints are in the oauth blueprint."""
    app.register_blueprint(consent.bp)
    app.register_blueprint(admin.bp)
    guard_blueprint(app, consent.bp.name, "claimant")
    guard_blueprint(app, admin.bp.name, "admin")


def register_staff_side(app: Flask) -> None:
    """The staff systems' API (its own bearer check: staff API keys) and grant wording."""
    app.register_blueprint(staff_api.bp)
    app.jinja_env.globals.update(
        scopes_of=grants.scopes_of,  # catalogue or nominated-contact scopes
        scopes_named=grants.scopes_named,
        needs_review=grants.needs_review,
        narrowable=grants.narrowable,
        grant_state=grants.state_at,
        outcome_words=journal.OUTCOMES,  # an MR decision's outcome in words
    )


def register_contact_side(app: Flask) -> None:
    """Contact the way the claimant chooses (issue 15): their letters inbox and preferences,
    staff letters and the record's delivery proof, and GOV.UK Notify's delivery receipts."""
    app.register_blueprint(contact.bp)
    app.register_blueprint(staff_letters.bp)
    app.register_blueprint(callbacks.bp)
    guard_blueprint(app, contact.bp.name, "claimant")
    guard_blueprint(app, staff_letters.bp.name, "staff")
    contact.register(app)
    staff_letters.register(app)
    register_nominated_contacts(app)


def register_nominated_contacts(app: Flask) -> None:
    """Contacts receive what the claimant chose (issue 23): the claimant confirms their
    contact's address and answers requests; staff do both on the phone and see who waits too
    long; anyone may ask to be someone's contact (public pages)."""
    app.register_blueprint(nominated.bp)
    app.register_blueprint(staff_contacts.bp)
    app.register_blueprint(contact_request.bp)
    guard_blueprint(app, nominated.bp.name, "claimant")
    guard_blueprint(app, staff_contacts.bp.name, "staff")
    nominated.register(app)
    staff_contacts.register(app)
