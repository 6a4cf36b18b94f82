"""Group commit on SQLite (issue 28, broker/oauth/batches.py): requests that arrive while a
transaction is open share it and its one COMMIT; a request whose work fails is rolled back alone;
no request returns before the COMMIT that holds its writes; a COMMIT that fails fails them all.
Then through gunicorn with threaded workers: a revoke racing the batches lets no read through
after it, and killing workers mid-batch loses no event for any answer a client was sent."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from broker.driver import Driver, Unit
from broker.oauth.batches import Batches

from .conftest import bearer, ledger, prepare, verify_audit
from .test_worker_kills import kill_workers_under_load

THREADED = {"BROKER_WORKER_CLASS": "gthread", "BROKER_THREADS": "8"}


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Driver, list[str]]]:
    """A SQLite file with one table, a driver on it, and every statement its connections ran."""
    path = str(tmp_path / "batches.sqlite3")
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE said (who TEXT PRIMARY KEY)")
        # A row here naming nobody in `said` passes its INSERT and fails the COMMIT.
        setup.execute(
            "CREATE TABLE child (parent TEXT REFERENCES said (who) DEFERRABLE INITIALLY DEFERRED)"
        )
    statements: list[str] = []

    def connect() -> sqlite3.Connection:
        raw = sqlite3.connect(path, check_same_thread=False)
        raw.execute("PRAGMA foreign_keys=ON")
        raw.set_trace_callback(statements.append)
        return raw

    engine = create_engine(f"sqlite:///{path}", creator=connect)
    driver = Driver(engine)
    yield path, driver, statements
    driver.close()
    engine.dispose()


def _rows(path: str) -> set[str]:
    with sqlite3.connect(path) as other:
        return {who for (who,) in other.execute("SELECT who FROM said")}


class Member(threading.Thread):
    """One request in a batch: writes its row, optionally fails, records when it returned."""

    def __init__(self, batches: Batches, database: tuple, who: str, **how: object) -> None:
        super().__init__(daemon=True)
        self.batches, self.database, self.who, self.how = batches, database, who, how
        self.raised: BaseException | None = None
        self.seen_at_return: set[str] | None = None

    def run(self) -> None:
        path, driver, _ = self.database
        try:
            with self.batches.transaction(driver, path, keep=(LookupError,)) as unit:
                unit.write("INSERT INTO said (who) VALUES (?)", (self.who,))
                if hold := self.how.get("hold"):
                    hold(unit)
                if error := self.how.get("fail"):
                    raise error
        except BaseException as exc:  # noqa: BLE001 (what the request would answer with)
            self.raised = exc
        self.seen_at_return = _rows(path)  # from another connection: committed or not there


def _waiting(batches: Batches, count: int) -> None:
    deadline = time.monotonic() + 10
    while batches._waiting < count:  # noqa: SLF001 (the test stages who waits for the baton)
        assert time.monotonic() < deadline, "the others never queued"
        time.sleep(0.005)


def test_requests_that_arrive_together_share_one_commit_and_a_failure_is_rolled_back_alone(
    database,
):
    path, _driver, statements = database
    batches = Batches()
    # The first holds the batch open until three more wait; they join it in turn.
    first = Member(batches, database, "first", hold=lambda _unit: _waiting(batches, 3))
    first.start()
    _waiting_for_open_batch(batches)
    others = [
        Member(batches, database, "second"),
        Member(batches, database, "fails", fail=ValueError("its work failed")),
        Member(batches, database, "refused", fail=KeyError("refused, and recorded")),
    ]
    for member in others:
        member.start()
    for member in (first, *others):
        member.join(timeout=10)

    assert _rows(path) == {"first", "second", "refused"}  # the failed one's row went alone
    assert statements.count("COMMIT") == 1
    assert isinstance(others[1].raised, ValueError)
    assert isinstance(others[2].raised, KeyError)  # kept: raised, but its writes stand
    assert first.raised is None and others[0].raised is None
    # No one returned before the commit that holds their row.
    for member in (first, others[0], others[2]):
        assert member.who in member.seen_at_return


def _waiting_for_open_batch(batches: Batches) -> None:
    deadline = time.monotonic() + 10
    while batches._batch is None:  # noqa: SLF001
        assert time.monotonic() < deadline, "the first never began"
        time.sleep(0.005)


def test_a_commit_that_fails_fails_every_request_in_the_batch(database):
    path, _driver, _ = database
    batches = Batches()

    def break_the_commit(unit: Unit) -> None:
        _waiting(batches, 1)
        # A deferred constraint the COMMIT itself refuses: every request of the batch fails.
        unit.raw.execute("INSERT INTO child (parent) VALUES ('nobody')")

    first = Member(batches, database, "first", hold=break_the_commit)
    first.start()
    _waiting_for_open_batch(batches)
    second = Member(batches, database, "second")
    second.start()
    first.join(timeout=10)
    second.join(timeout=10)

    assert first.raised is not None and second.raised is not None
    assert "FOREIGN KEY" in str(first.raised) and "FOREIGN KEY" in str(second.raised)
    assert _rows(path) == set()
    # The next request begins a batch of its own and commits.
    after = Member(batches, database, "after")
    after.start()
    after.join(timeout=10)
    assert after.raised is None and _rows(path) == {"after"}


def test_a_guarded_request_inside_anothers_transaction_is_refused_rather_than_waiting(database):
    path, driver, _ = database
    batches = Batches()
    with batches.transaction(driver, path) as _unit, pytest.raises(RuntimeError):
        with batches.transaction(driver, path):
            pass


def test_a_revoke_racing_threaded_batches_lets_no_read_through_after_it(serve, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    people = prepare(url, tmp_path, claimants=1)
    person = people[0]
    server = serve(url, workers=2, **THREADED)
    stop = threading.Event()
    after: list[int] = []

    def read_until_stopped() -> list[int]:
        seen = []
        with httpx.Client(base_url=server.base_url, timeout=20) as http:
            while not stop.is_set():
                seen.append(
                    http.get(
                        f"/api/v1/mr-decisions/{person['decision_id']}",
                        headers=bearer(person["token"]),
                    ).status_code
                )
        return seen

    with ThreadPoolExecutor(max_workers=12) as pool:
        readers = [pool.submit(read_until_stopped) for _ in range(12)]
        time.sleep(1.5)
        revoked = _revoke(server.base_url, person)
        # Every read that starts once the revoke has answered is refused.
        with httpx.Client(base_url=server.base_url, timeout=20) as http:
            for _ in range(20):
                after.append(
                    http.get(
                        f"/api/v1/mr-decisions/{person['decision_id']}",
                        headers=bearer(person["token"]),
                    ).status_code
                )
        stop.set()
        seen = [code for reader in readers for code in reader.result()]

    assert revoked == 303
    assert after == [401] * 20
    assert seen.count(200) > 0 and set(seen) <= {200, 401}
    held = ledger(url)
    # The chain's order is the truth: no allowed read sits after the revoke's event.
    assert held.allowed(person["jti"], "mr.read") == seen.count(200)
    assert _allowed_after_revoke(url, person) == 0
    result = verify_audit(url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _revoke(base_url: str, person: dict[str, str]) -> int:
    from .test_scale_out import _csrf, _sign_in

    with httpx.Client(timeout=20) as phone:
        assert _sign_in(phone, base_url, person["username"], "pw-for-tests").status_code == 303
        confirm = phone.get(f"{base_url}/access/{person['grant_id']}/revoke")
        return phone.post(
            f"{base_url}/access/{person['grant_id']}/revoke",
            data={"csrf_token": _csrf(confirm.text)},
        ).status_code


def _allowed_after_revoke(url: str, person: dict[str, str]) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT seq, action, outcome FROM audit_events WHERE claimant_id = ? ORDER BY seq",
                (person["claimant_id"],),
            ).all()
    finally:
        engine.dispose()
    revoked_at = next(seq for seq, action, _ in rows if action == "grant.revoke")
    return sum(1 for seq, action, outcome in rows if seq > revoked_at and outcome == "allowed")


def test_killing_threaded_workers_mid_batch_loses_no_event_for_an_answer_sent(
    serve, tmp_path: Path
):
    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    people = prepare(url, tmp_path, claimants=6)
    server = serve(url, workers=2, **THREADED)
    clients, killed = kill_workers_under_load(server, people, seed=11)

    assert killed >= 3
    assert [c.unexpected for c in clients] == [[]] * len(clients)
    held = ledger(url)
    for client in clients:
        jti = client.person["jti"]
        reads = held.allowed(jti, "mr.read")
        assert client.reads_ok <= reads <= client.reads_ok + client.reads_lost
        written = held.requests.get(jti, set())
        assert len(written) == held.allowed(jti, "mr.request")
        assert client.writes_ok <= written
    result = verify_audit(url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Every audit chain is intact" in result.stdout
