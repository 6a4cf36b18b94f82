"""Each counter moves for the behaviour it counts, and only then: DPoP replays at the API and at
the token endpoint, sign-in and code-guess lock-outs, failed sends and failure receipts, pushes
by their result, and the scheduler's runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker import clock, ratelimit, sweep
from broker.extensions import db
from broker.messages import notify, push
from broker.models import Delivery
from broker.people import accounts
from broker.scheduler import Job, Scheduler
from tests.dpop.conftest import make_case
from tests.dpop.flows import NONCE, client_auth, code, decision_url, dpop_tokens, nonce_for
from tests.dpop.proofs import TOKEN_URL, ClientKey
from tests.factories import PASSWORD, bound, make_adviser, make_claimant
from tests.lifecycle.senders import BrokenSender
from tests.other_side.conftest import alex_and_priya  # noqa: F401 - the fixture
from tests.security.test_26_sign_in_guessing import attempt
from tests.security.test_32_adviser_code_guessing import give_access, phone_at
from tests.security.test_62_one_bad_push_endpoint import a_broken_case_system  # noqa: F401

from .conftest import moved, queue_email

# DPoP (RFC 9449 11.1): a proof used twice


@pytest.fixture
def case(ctx):  # noqa: ANN001, ANN201
    return make_case()


def test_a_replayed_dpop_proof_at_the_api_is_counted_once(app, case):
    key = ClientKey()
    token = dpop_tokens(app, case, key)["access_token"]
    nonce = nonce_for(app.test_client(), case, key, token)
    proof = key.proof("GET", decision_url(case), token=token, nonce=nonce)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    replays = moved("broker_dpop_replays_refused_total", endpoint="resource")
    refused = moved("broker_guarded_requests_total", access="read", outcome="refused:dpop_replay")

    first = app.test_client().get(decision_url(case), headers=headers)
    assert replays() == 0
    again = app.test_client().get(decision_url(case), headers=headers)

    assert (first.status_code, again.status_code) == (200, 401)
    assert replays() == 1
    assert refused() == 1


def test_a_replayed_dpop_proof_at_the_token_endpoint_is_counted(app, case):
    key = ClientKey()
    api = app.test_client()
    nonce = api.post("/oauth/token", headers={"DPoP": key.proof("POST", TOKEN_URL)}).headers[NONCE]
    proof = key.proof("POST", TOKEN_URL, nonce=nonce)
    replays = moved("broker_dpop_replays_refused_total", endpoint="token")

    answers = []
    for code_value, verifier in (
        code(app, case.username, case.client_id),
        code(app, case.username, case.client_id),
    ):
        form = {
            "grant_type": "authorization_code",
            "code": code_value,
            "redirect_uri": "https://case.example/callback",
            "code_verifier": verifier,
        }
        auth = client_auth(case.client_id, case.secret, form)
        answers.append(
            api.post("/oauth/token", data=form, headers={**auth, "DPoP": proof}).status_code
        )

    assert answers == [200, 400]
    assert replays() == 1


# Lock-outs


def test_a_sign_in_refused_by_the_lock_out_is_counted_and_wrong_passwords_are_not(app, ctx):
    username = make_claimant().account.username
    browser = app.test_client()
    locked = moved("broker_sign_in_lockouts_total", limit="account_and_address")

    wrong = [attempt(browser, username, f"guess-{n}") for n in range(accounts.SIGN_IN_LIMIT)]
    assert locked() == 0
    refused = attempt(browser, username, PASSWORD)

    assert [r.status_code for r in wrong] == [400] * accounts.SIGN_IN_LIMIT
    assert refused.status_code == 429
    assert locked() == 1


def test_a_sign_in_refused_by_the_address_limit_is_counted(app, ctx):
    browser = app.test_client()
    locked = moved("broker_sign_in_lockouts_total", limit="address")
    for n in range(accounts.ADDRESS_LIMIT):  # a different account each time: spraying
        assert attempt(browser, f"nobody-{n}@example.com", "guess").status_code == 400
    assert locked() == 0

    refused = attempt(browser, make_claimant().account.username, PASSWORD)

    assert refused.status_code == 429
    assert locked() == 1


def test_a_code_guess_refused_by_the_lock_out_is_counted(app, ctx):
    adviser = make_adviser()
    guesser = phone_at(app, make_claimant().account.username, "203.0.113.40")
    locked = moved("broker_code_guess_lockouts_total", limit="person")

    for n in range(accounts.WRONG_CODE_LIMIT):
        assert give_access(guesser, f"NSA-{n:04d}").status_code == 400
    assert locked() == 0

    assert give_access(guesser, adviser.code).status_code == 429
    assert locked() == 1


# Messages and pushes


def test_a_failed_send_and_a_failure_receipt_are_counted_by_channel(app, ctx, frozen_clock):
    claimant = make_claimant()
    queue_email(claimant.id, "metrics-test")
    sent = moved("broker_delivery_failures_total", channel="email", stage="send")
    receipts = moved("broker_delivery_failures_total", channel="email", stage="receipt")

    sweep.run(now=clock.now(), sender=BrokenSender(), services=bound())
    assert sent() == 1

    delivery = db.session.scalars(db.select(Delivery).where(Delivery.channel == "email")).one()
    delivery.provider_reference = "notify-ref-1"  # as if the provider had taken it after all
    db.session.commit()
    for _ in range(2):  # the provider says so twice: one failure
        notify.record_receipt("notify-ref-1", "permanent-failure", at=None, now=clock.now())
        db.session.commit()
    assert receipts() == 1


def test_pushes_are_counted_by_result(a_broken_case_system, runner, receiver, frozen_clock):  # noqa: F811
    delivered = moved("broker_push_attempts_total", result="delivered")
    given_up = moved("broker_push_attempts_total", result="given_up")
    retried = moved("broker_push_attempts_total", result="retry")
    receiver.answers.append((503, None))  # the good case system is down for a moment

    runner.invoke(args=["sweep"])
    # The one with a port out of range is given up for good; the other is tried again later.
    assert (delivered(), given_up(), retried()) == (0, 1, 1)

    frozen_clock.advance(seconds=push.FIRST_WAIT.total_seconds())
    runner.invoke(args=["sweep"])
    assert (delivered(), given_up(), retried()) == (1, 1, 1)


# The scheduler


def test_each_scheduled_run_is_counted_by_result_and_timed(app):
    outcomes = iter([None, RuntimeError("the mail server said no")])

    def flaky() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    runner = Scheduler(app, holder="only", work=[Job("flaky", timedelta(0), flaky)])
    succeeded = moved("broker_job_runs_total", job="flaky", result="success")
    failed = moved("broker_job_runs_total", job="flaky", result="failure")
    timed = moved("broker_job_duration_seconds_count", job="flaky")

    runner.step()
    runner.step()

    assert (succeeded(), failed(), timed()) == (1, 1, 1)


def test_a_guess_refused_by_the_shared_address_limit_is_counted(ctx):
    now = clock.now()
    library = ["code:addr:203.0.113.41"]
    ratelimit.record_failure(library * ratelimit.SHARED_GUESS_LIMIT, now=now)  # everyone's misses
    locked = moved("broker_code_guess_lockouts_total", limit="shared_address")

    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.guess(["code:person:new"], lambda: None, now=now, shared=library)

    assert locked() == 1
