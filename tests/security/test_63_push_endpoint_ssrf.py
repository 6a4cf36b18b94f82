"""Attack 63: a push endpoint aimed inside the broker's own network (server-side request
forgery): the cloud metadata service, private, loopback and link-local addresses, a name that
resolves to one of them, or another service's port. Refused when the client is registered
(broker/consent/clients.py) and again when each push is sent, after the name is resolved
(broker/messages/push.py), which then connects to the address it checked. Loopback only with
BROKER_PUSH_ALLOW_LOOPBACK (the tests' local receiver); the rest never."""

from __future__ import annotations

import socket

import pytest

from broker import clock, sweep
from broker.consent import clients, grants
from broker.extensions import db
from broker.messages import push
from broker.models import OAuthClient, PushDelivery
from tests.factories import bound, signer
from tests.lifecycle.senders import RecordingSender
from tests.other_side.conftest import alex_and_priya  # noqa: F401 - the fixture

INSIDE = [
    "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service (link-local)
    "https://[fe80::1]/events",  # link-local
    "https://10.0.0.5/events",  # private
    "https://172.16.3.4/events",
    "https://192.168.1.10/events",
    "https://[fc00::1]/events",  # unique local, fc00::/7
    "https://[fd12:3456::1]/events",
    "https://100.64.0.1/events",  # shared address space (carrier-grade NAT)
    "https://0.0.0.0/events",
    "https://[::ffff:10.0.0.5]/events",  # a private IPv4 address written as IPv6
]
LOOPBACK = [
    "https://127.0.0.1/events",
    "https://127.3.2.1:8443/events",
    "https://[::1]/events",
    "https://localhost/events",
    "https://api.localhost/events",
    "https://[::ffff:127.0.0.1]/events",
]


@pytest.mark.parametrize("endpoint", INSIDE + LOOPBACK)
def test_registration_refuses_an_endpoint_inside_the_network(endpoint):
    with pytest.raises(clients.EndpointRefused, match="push endpoint"):
        clients.check_endpoint(endpoint)


@pytest.mark.parametrize("endpoint", INSIDE)
def test_allowing_loopback_allows_nothing_else(endpoint):
    with pytest.raises(clients.EndpointRefused, match="push endpoint"):
        clients.check_endpoint(endpoint, allow_loopback=True)


@pytest.mark.parametrize("endpoint", LOOPBACK)
def test_loopback_is_allowed_only_when_the_setting_says(endpoint):
    assert clients.check_endpoint(endpoint, allow_loopback=True) == endpoint


@pytest.mark.parametrize("port", [22, 25, 80, 1023])
def test_registration_refuses_another_services_port(port):
    with pytest.raises(clients.EndpointRefused, match="port"):
        clients.check_endpoint(f"https://cases.example:{port}/events")


@pytest.mark.parametrize("port", [443, 1024, 8443, 65535])
def test_a_public_name_on_an_allowed_port_is_accepted(port):
    assert clients.check_endpoint(f"https://cases.example:{port}/events")


def test_the_admin_form_and_register_refuse_it_too(ctx):
    with pytest.raises(clients.ClientRefused, match="169.254.169.254"):
        clients.register(
            "Metadata reader",
            organisation=None,
            redirect_uris=["https://cases.example/callback"],
            scope_names="mr:read",
            grant_types=[clients.CODE_GRANT],
            auth_method="client_secret_basic",
            now=clock.now(),
            push_endpoint="https://169.254.169.254/latest/meta-data/",
        )


@pytest.fixture
def no_connections(monkeypatch):  # noqa: ANN001, ANN201
    """Any connection the pusher tries fails the test: a refusal must come before it."""

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError(f"connected to {args[0]}")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("endpoint", INSIDE + LOOPBACK)
def test_a_push_inside_the_network_is_refused_for_good_without_connecting(endpoint, no_connections):
    answer = push.Pusher().post(endpoint, "a.set.token")

    assert (answer.delivered, answer.permanent, answer.outcome) == (
        False,
        True,
        "failed:forbidden_address",
    )


@pytest.mark.parametrize("endpoint", INSIDE)
def test_allowing_loopback_allows_no_other_push(endpoint, no_connections):
    answer = push.Pusher(allow_loopback=True).post(endpoint, "a.set.token")
    assert answer.outcome == "failed:forbidden_address"


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.0.7", "169.254.169.254", "::1", "fd00::7"]
)
def test_a_name_that_resolves_inside_the_network_is_refused_when_pushed(
    address, monkeypatch, no_connections
):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [(family, socket.SOCK_STREAM, 6, "", (address, port))],
    )
    # Registered while it pointed somewhere public; DNS changed since.
    assert clients.check_endpoint("https://cases.example/events")

    answer = push.Pusher().post("https://cases.example/events", "a.set.token")

    assert answer.outcome == "failed:forbidden_address"
    assert address in answer.detail


def test_one_public_address_among_inside_ones_is_still_refused(monkeypatch, no_connections):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
        ],
    )
    assert push.Pusher().post("https://cases.example/events", "t").outcome == (
        "failed:forbidden_address"
    )


@pytest.mark.parametrize("endpoint", ["https://cases.example:22/events", "http://cases.example/"])
def test_a_stored_endpoint_on_a_bad_port_or_scheme_is_refused_when_pushed(endpoint, no_connections):
    answer = push.Pusher().post(endpoint, "a.set.token")
    assert (answer.permanent, answer.outcome) == (True, "failed:bad_endpoint")


def test_the_sweep_gives_up_a_delivery_to_the_metadata_service(
    app, request, receiver, no_connections
):
    s = request.getfixturevalue("alex_and_priya")
    # Written directly, as a database from before these checks could hold it.
    db.session.execute(
        db.update(OAuthClient).values(push_endpoint="https://169.254.169.254/latest/meta-data/")
    )
    db.session.commit()
    grants.revoke(s.grant, signer=signer(), by=f"claimant:{s.claimant.id}", now=clock.now())
    db.session.commit()

    report = sweep.run(
        now=clock.now(),
        sender=RecordingSender(),
        services=bound(),
        checkpoint=False,
        pusher=push.Pusher(receiver.ca_bundle, allow_loopback=True),
    )

    assert (report.pushed, report.push_refused) == (0, 1)
    assert receiver.received == []
    db.session.expire_all()
    [delivery] = db.session.scalars(db.select(PushDelivery))
    assert delivery.given_up_at is not None and "link-local" in (delivery.last_error or "")
