"""What a scrape reads from the database at that moment: unsealed audit events and the oldest's
age, the outbox and its deliveries, the push queue, each job's last run; and none of it, nor any
counter's label, names a claimant."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from broker import clock, sweep
from broker.messages import notify
from broker.scheduler import Job, Scheduler
from tests.factories import bound, make_adviser, make_claimant, make_grant
from tests.other_side.conftest import alex_and_priya  # noqa: F401 - the fixture
from tests.security.test_62_one_bad_push_endpoint import a_broken_case_system  # noqa: F401

from .conftest import queue_email

FIVE_MINUTES = 300


def gauges(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_unsealed_events_and_the_oldest_age_until_a_checkpoint_seals_them(
    app, ctx, scrape, frozen_clock
):
    make_grant(make_claimant(), make_adviser())  # consent given: on the chain, not yet sealed
    frozen_clock.advance(seconds=FIVE_MINUTES)

    before = gauges(scrape())
    sweep.sign_checkpoint(bound(), now=clock.now())
    after = gauges(scrape())

    assert before[("broker_metrics_database_up", ())] == 1
    assert before[("broker_audit_unsealed_events", ())] >= 1
    assert before[("broker_audit_unsealed_oldest_age_seconds", ())] >= FIVE_MINUTES
    assert after[("broker_audit_unsealed_events", ())] == 0
    assert after[("broker_audit_unsealed_oldest_age_seconds", ())] == 0


def test_the_outbox_and_its_deliveries_waiting_then_sent(app, ctx, scrape, frozen_clock):
    claimant = make_claimant()
    queue_email(claimant.id, "metrics-scrape")
    frozen_clock.advance(seconds=60)
    email = ("broker_deliveries_waiting", (("channel", "email"), ("state", "queued")))

    waiting = gauges(scrape())
    sweep.run(now=clock.now(), sender=notify.LoggingSender(), services=bound())
    sent = gauges(scrape())

    assert waiting[("broker_outbox_unsent_messages", ())] == 1
    assert waiting[("broker_outbox_oldest_unsent_age_seconds", ())] >= 60
    assert waiting[email] == 1
    assert sent[("broker_outbox_unsent_messages", ())] == 0
    assert email not in sent


def test_the_push_queue_is_read_at_scrape_time(app, ctx, scrape, request):
    scraped = gauges(scrape())
    assert scraped[("broker_push_waiting", ())] == 0
    assert scraped[("broker_push_due", ())] == 0
    request.getfixturevalue("a_broken_case_system")  # a revoke queues a CAEP event for each

    queued = gauges(scrape())

    assert queued[("broker_push_waiting", ())] == 2
    assert queued[("broker_push_due", ())] == 2


def test_each_jobs_last_success_duration_and_failure_from_job_runs(app, ctx, scrape):
    def broken() -> None:
        raise RuntimeError("nothing works")

    work = [Job("fine", timedelta(0), lambda: None), Job("broken", timedelta(0), broken)]
    Scheduler(app, holder="only", work=work).step()
    scraped = gauges(scrape())

    now = clock.now().timestamp()
    success = scraped[("broker_job_last_success_timestamp_seconds", (("job", "fine"),))]
    assert now - 60 < success <= now
    assert scraped[("broker_job_last_duration_seconds", (("job", "fine"),))] >= 0
    assert scraped[("broker_job_last_failure_timestamp_seconds", (("job", "fine"),))] == 0
    failed = scraped[("broker_job_last_failure_timestamp_seconds", (("job", "broken"),))]
    assert now - 60 < failed <= now
    assert ("broker_job_last_success_timestamp_seconds", (("job", "broken"),)) not in scraped


def test_a_database_that_cannot_answer_leaves_the_counters_and_says_so(
    app, ctx, scrape, monkeypatch
):
    def gone() -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(notify, "unsent_messages", gone)  # inject the fault mid-scrape

    scraped = gauges(scrape())

    assert scraped[("broker_metrics_database_up", ())] == 0
    assert ("broker_outbox_unsent_messages", ()) not in scraped
    assert any(name == "broker_http_requests_total" for name, _ in scraped)


def test_the_readme_lists_every_metric_a_scrape_gives_and_no_other(scrape):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Metrics", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(broker_[a-z_]+)", section, flags=re.MULTILINE))

    scraped = {family.name for family in text_string_to_metric_families(scrape())}

    # The text parser names a counter without its _total, as the README writes it with one.
    assert {name.removesuffix("_total") for name in listed} == scraped
