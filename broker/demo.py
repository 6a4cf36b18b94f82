"""Demo data for `make run`: two claimants in a couple claim, two advisers, one DWP staff member,
a journal with MR decisions. Safe to run twice: it does nothing if the demo people exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher

from . import clock
from .casework import caller_checks, decisions, drafts, item_watches, watches
from .consent import clients, grants, windows
from .extensions import db
from .messages import contact, contact_requests, letters, nominated
from .models import (
    Account,
    Adviser,
    CallerCheck,
    Claimant,
    ContactAddress,
    ContactPreference,
    ContactRequest,
    Grant,
    ItemWatch,
    JournalEntry,
    MRDecision,
    MRDecisionWatch,
    Organisation,
    Payment,
    StaffMember,
    Todo,
)
from .oauth.tokens import TokenService
from .people import accounts, records, staff_keys

DEMO_PASSWORD = "demo-password"  # noqa: S105 (published in the README: demo data only)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    name: str
    note: str


LOGINS = (
    DemoLogin("claimant", "alex@example.com", "Alex Morgan", "claimant, reference UC-1001-AM"),
    DemoLogin(
        "claimant",
        "sam@example.com",
        "Sam Morgan",
        "Alex's partner in a couple claim, reference UC-1002-SM",
    ),
    DemoLogin(
        "adviser",
        "priya@northside.example",
        "Priya Shah",
        "Northside Citizens Advice, adviser code NSA-4821; its organisation admin",
    ),
    DemoLogin(
        "adviser",
        "tom@riverside.example",
        "Tom Reed",
        "Riverside Law Centre, adviser code RLC-7305; already has access to Alex",
    ),
    DemoLogin("staff", "jordan@dwp.example", "Jordan Lee", "DWP Universal Credit staff"),
)


def seed(hasher: PasswordHasher, signer: TokenService) -> bool:
    """Create the demo people and journal; False if they were already there. Does not commit."""
    if db.session.scalar(db.select(Account).where(Account.username == LOGINS[0].username)):
        seed_oauth(clock.now(), hasher)  # demo data from before issue 3 gets its OAuth part too
        seed_staff_side(clock.now(), signer)  # and its staff-side part (issue 4)
        seed_caller_checks(clock.now())  # and a caller Sam reported (issue 15)
        seed_contact(clock.now())  # and letters, and Sam's choices of how to be contacted
        seed_watch(clock.now(), signer)  # and Tom's watch on Alex's decisions (issue 15)
        seed_sam_for_priya(clock.now(), signer)  # and Sam's consent to Priya (issue 16)
        seed_nominated_contacts(clock.now())  # and Jo's address, Chris's request (issue 23)
        seed_agencies()  # and the agencies' kinds, marks and Priya as Northside's admin (issue 25)
        seed_item_watches(clock.now(), signer)  # and Priya's to-do and payment watches (issue 27)
        return False
    now = clock.now()
    northside = Organisation(name="Northside Citizens Advice")
    riverside = Organisation(name="Riverside Law Centre")
    db.session.add_all([northside, riverside])
    db.session.flush()

    alex = accounts.create_claimant(
        "alex@example.com",
        DEMO_PASSWORD,
        "Alex Morgan",
        "UC-1001-AM",
        now,
        hasher=hasher,
    )
    sam = accounts.create_claimant(
        "sam@example.com",
        DEMO_PASSWORD,
        "Sam Morgan",
        "UC-1002-SM",
        now,
        partner=alex,
        hasher=hasher,
    )
    accounts.create_adviser(
        "priya@northside.example",
        DEMO_PASSWORD,
        "Priya Shah",
        northside,
        "NSA-4821",
        now,
        hasher=hasher,
    )
    tom = accounts.create_adviser(
        "tom@riverside.example",
        DEMO_PASSWORD,
        "Tom Reed",
        riverside,
        "RLC-7305",
        now,
        hasher=hasher,
    )
    db.session.flush()
    seed_agencies()
    accounts.create_staff(
        "jordan@dwp.example",
        DEMO_PASSWORD,
        "Jordan Lee",
        "Universal Credit, Leeds",
        now,
        hasher=hasher,
    )

    day = timedelta(days=1)
    db.session.add_all(
        [
            JournalEntry(
                claimant_id=alex.id,
                author_role="work_coach",
                author_name="Work coach",
                subject="Your claim",
                body="We have received your claim. We will be in touch about your first payment.",
                created_at=now - 60 * day,
            ),
            JournalEntry(
                claimant_id=alex.id,
                author_role="claimant",
                author_name="Alex Morgan",
                subject="Limited capability for work decision",
                body="I do not agree with the decision about my capability for work. "
                "I would like it looked at again.",
                created_at=now - 40 * day,
            ),
            JournalEntry(
                claimant_id=alex.id,
                author_role="work_coach",
                author_name="Work coach",
                subject="Your health assessment",
                sensitive=True,
                body="Notes from your health assessment are attached.",
                created_at=now - 35 * day,
            ),
            JournalEntry(
                claimant_id=alex.id,
                author_role="case_manager",
                author_name="Case manager",
                subject="Mandatory Reconsideration decision",
                body="We have looked at the decision again. See the notice in your journal.",
                created_at=now - 5 * day,
            ),
            JournalEntry(
                claimant_id=sam.id,
                author_role="work_coach",
                author_name="Work coach",
                subject="Appointment",
                body="Your next appointment is on Tuesday at 10am.",
                created_at=now - 3 * day,
            ),
            MRDecision(
                claimant_id=alex.id,
                decided_at=now - 5 * day,
                subject="Limited capability for work",
                outcome="not_changed",
                body="We have reconsidered the decision of 2 September. We have not changed "
                "it. You can appeal to an independent tribunal within one month.",
            ),
            MRDecision(
                claimant_id=alex.id,
                decided_at=now - 90 * day,
                subject="Housing costs element",
                outcome="changed",
                body="We have reconsidered the housing costs decision and changed it. Your "
                "award now includes your housing costs.",
            ),
            MRDecision(
                claimant_id=sam.id,
                decided_at=now - 10 * day,
                subject="Childcare costs",
                outcome="changed",
                body="We have changed the childcare costs decision.",
            ),
            Todo(claimant_id=alex.id, title="Upload your fit note", due_at=now + 7 * day),
            Payment(
                claimant_id=alex.id,
                period_start=now - 40 * day,
                period_end=now - 10 * day,
                paid_at=now - 3 * day,
                amount_pence=81_243,
            ),
        ]
    )
    grants.give(
        alex,
        grants.Representative.of(tom),
        scope_names=("mr:read", "journal:read"),
        ends_at=grants.add_months(now, 3),
        purpose="Help with my appeal about capability for work",
        relationship="Welfare rights adviser",
        now=now,
        signer=signer,
    )
    seed_oauth(now, hasher)
    seed_staff_side(now, signer)
    seed_caller_checks(now)
    seed_contact(now)
    seed_watch(now, signer)
    seed_sam_for_priya(now, signer)
    seed_nominated_contacts(now)
    seed_item_watches(now, signer)
    return True


# OAuth (issue 3): an admin who registers clients, the adviser console's own client, and one
# case-management system whose demo secret the README's worked example uses.

ADMIN_LOGIN = DemoLogin(
    "admin", "robin@broker.example", "Robin Admin", "registers OAuth clients at /admin"
)
LOGINS = (*LOGINS, ADMIN_LOGIN)
DEMO_CLIENT_ID = "northside-case-system"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 (demo data only, printed in the README)
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"


def seed_oauth(now: datetime, hasher: PasswordHasher) -> None:
    """The demo admin, the console client and the demo case system; each only if missing."""
    admin = db.session.scalar(db.select(Account).where(Account.username == ADMIN_LOGIN.username))
    if admin is None:
        accounts.create_account(
            ADMIN_LOGIN.username,
            DEMO_PASSWORD,
            "admin",
            ADMIN_LOGIN.name,
            now,
            hasher=hasher,
        )
    clients.ensure_console_client(now)
    if clients.active(DEMO_CLIENT_ID) is None:
        clients.register(
            "Northside case system",
            organisation=clients.organisation_named("Northside Citizens Advice"),
            redirect_uris=[DEMO_REDIRECT_URI],
            scope_names=("mr:read", "journal:read", "mr:request"),
            grant_types=(clients.CODE_GRANT, clients.REFRESH_GRANT, clients.DEVICE_GRANT),
            auth_method="client_secret_basic",
            now=now,
            client_id=DEMO_CLIENT_ID,
            secret=DEMO_CLIENT_SECRET,
        )
    seed_dpop_client(now)


# DPoP (issue 17): a public app that gets only tokens bound to its own key (the README's DPoP
# example uses it).

DEMO_DPOP_CLIENT_ID = "northside-dpop-app"


def seed_dpop_client(now: datetime) -> None:
    if clients.active(DEMO_DPOP_CLIENT_ID) is None:
        clients.register(
            "Northside adviser app",
            organisation=clients.organisation_named("Northside Citizens Advice"),
            redirect_uris=[DEMO_REDIRECT_URI],
            scope_names=("mr:read", "journal:read"),
            grant_types=(clients.CODE_GRANT, clients.REFRESH_GRANT),
            auth_method="none",
            now=now,
            client_id=DEMO_DPOP_CLIENT_ID,
            require_dpop=True,
        )


# The staff side (issue 4): consent Jordan took by phone from Sam for a housing officer with no
# account here, Sam's nominated contact, and Alex's pinned note and additional-support flag.


def seed_staff_side(now: datetime, signer: TokenService) -> None:
    """Add the staff-side demo data once (nothing if Sam already has consent taken by phone)."""

    def claimant(username: str) -> Claimant | None:
        account = db.session.scalar(db.select(Account).where(Account.username == username))
        return db.session.get(Claimant, account.id) if account else None

    alex, sam = claimant("alex@example.com"), claimant("sam@example.com")
    jordan_account = db.session.scalar(
        db.select(Account).where(Account.username == "jordan@dwp.example")
    )
    if alex is None or sam is None or jordan_account is None:
        return
    if db.session.scalar(
        db.select(Grant.id).where(Grant.claimant_id == sam.id, Grant.recorded_by == "staff")
    ):
        return
    jordan = db.session.get(StaffMember, jordan_account.id)
    grants.record_by_phone(
        sam,
        grants.Representative("Ruth Evans", "Eastgate Housing Association"),
        staff=jordan,
        consented=True,
        scope_names=("payments:read",),
        purpose="To help with rent arrears",
        relationship="Housing support officer",
        months=6,
        review_months=1,
        now=now,
        signer=signer,
    )
    grants.record_by_phone(
        sam,
        grants.Representative("Jo Morgan"),
        staff=jordan,
        consented=True,
        scope_names=("contact:phone", "contact:letters"),
        purpose="Finds phone calls hard",
        relationship="Daughter",
        months=6,
        review_months=3,
        now=now,
        kind=grants.CONTACT,
        signer=signer,
    )
    records.pin_note(alex, "Hard of hearing: use text relay for calls", staff=jordan, now=now)
    records.set_additional_support(
        alex, "Finds phone calls hard: contact by letter or text relay", staff=jordan, now=now
    )


# Caller checks (issue 15): yesterday the contact centre's telephony started a check for a call to
# Sam, and Sam said the caller was not genuine, so Jordan sees a warning on Sam's record. A live
# check lasts 5 minutes, so the README shows how to start one.

DEMO_TELEPHONY = "Demo contact centre telephony (past calls only)"


def seed_caller_checks(now: datetime) -> None:
    """Add Sam's reported caller check once (nothing if Sam has any caller check)."""
    account = db.session.scalar(db.select(Account).where(Account.username == "sam@example.com"))
    if account is None or db.session.scalar(
        db.select(CallerCheck.id).where(CallerCheck.claimant_id == account.id)
    ):
        return
    key, _plain = staff_keys.create(DEMO_TELEPHONY, now=now - timedelta(days=1, hours=1))
    yesterday = now - timedelta(days=1)
    caller = caller_checks.Caller.staff_system(key, "Chris Dale")
    check = caller_checks.start(account.id, caller, now=yesterday)
    caller_checks.note_on_phone(account.id, now=yesterday + timedelta(minutes=1))
    caller_checks.report_not_genuine(account.id, check.id, now=yesterday + timedelta(minutes=2))
    staff_keys.revoke(key.id, now=now)  # nobody holds it: its key was never shown


# Contact the way you choose (issue 15): a letter from Jordan in Alex's inbox, and Sam's choices
# (text messages for reminders, post for letters from DWP) so the record shows a printed letter due.


def seed_contact(now: datetime) -> None:
    """Add the contact demo data once (nothing if Sam has chosen already)."""
    accounts_by_name = {
        account.username: account
        for account in db.session.scalars(
            db.select(Account).where(
                Account.username.in_(("alex@example.com", "sam@example.com", "jordan@dwp.example"))
            )
        )
    }
    if len(accounts_by_name) < 3:
        return
    alex = db.session.get(Claimant, accounts_by_name["alex@example.com"].id)
    sam = db.session.get(Claimant, accounts_by_name["sam@example.com"].id)
    jordan = db.session.get(StaffMember, accounts_by_name["jordan@dwp.example"].id)
    if alex is None or sam is None or jordan is None:
        return
    if db.session.get(ContactPreference, sam.id) is not None:
        return
    contact.save(
        sam.id,
        {contact.REMINDERS: [contact.SMS], contact.LETTERS: [contact.EMAIL, contact.POST]},
        mobile="07700 900 123",
        language="en",
        now=now,
    )
    letters.send_letter(
        alex,
        "We have received your request to look again at the decision about your capability "
        "for work.\n\nWe will write to you when we have made a decision. This is usually "
        "within 8 weeks.",
        language="en",
        staff=jordan,
        now=now,
    )
    letters.send_letter(
        sam, "Your next payment is on 5 January.", language="en", staff=jordan, now=now
    )


# Tell me when a decision arrives (issue 15): Tom watches Alex's decisions, and one arrived
# three days ago, so his console lists it with its appeal deadline (and an email is queued).


def seed_watch(now: datetime, signer: TokenService) -> None:
    """Tom's watch and a decision it told him of; nothing if Tom has no live grant from Alex
    or ever watched Alex's decisions (a watch switched off stays off)."""
    tom = db.session.scalar(db.select(Account).where(Account.username == "tom@riverside.example"))
    alex = records.claimant_by_reference("UC-1001-AM")
    if tom is None or alex is None:
        return
    grant = next(
        (g for g in grants.live_for_adviser(tom.id, now) if g.claimant_id == alex.id), None
    )
    if grant is None or db.session.scalar(
        db.select(MRDecisionWatch.id).where(MRDecisionWatch.claimant_id == alex.id).limit(1)
    ):
        return
    _token, row, _expires = signer.issue(
        grant, client_id=clients.CONSOLE_CLIENT_ID, scopes=grant.scope_names, now=now
    )
    watches.set_for_demo(grant, token_id=row.jti, now=now)
    decisions.add_mr_decision(
        alex,
        outcome="partly_changed",
        decided_on=clock.uk_day(now - timedelta(days=3)),
        subject="Work capability: mobilising",
        body="We have looked at the decision again and changed part of it. You can appeal to "
        "an independent tribunal within one month of this decision.",
        by="system:demo",
        now=now,
        signer=signer,
    )


# Issue 16: Sam lets Priya see their journal, decisions and payments only from the day their
# payment was cut, 12 days ago (an older message stays out of her sight), and only until Sam's
# reconsideration is decided. Sam's older decision (ten days ago) does not end it: only a decision
# dated on or after the day it was given counts (`journal add-mr-decision UC-1002-SM ...`). Sam gave
# it on the phone, so Priya's MR request waits for Sam to send it or not.


def seed_sam_for_priya(now: datetime, signer: TokenService) -> None:
    """Sam's windowed, case-tied grant to Priya, the two messages either side of its start and
    her MR request waiting for Sam; nothing if Sam ever gave Priya access (a demo user who
    stopped it finds it stopped the next time the demo is seeded)."""
    sam = records.claimant_by_reference("UC-1002-SM")
    priya = db.session.scalar(
        db.select(Account).where(Account.username == "priya@northside.example")
    )
    adviser = db.session.get(Adviser, priya.id) if priya else None
    if sam is None or adviser is None:
        return
    ever = db.select(Grant.id).where(Grant.claimant_id == sam.id, Grant.adviser_id == adviser.id)
    if db.session.scalar(ever.limit(1)) is not None:
        return
    cut = now - timedelta(days=12)
    db.session.add_all(
        [
            JournalEntry(
                claimant_id=sam.id,
                author_role="work_coach",
                author_name="Work coach",
                subject="Your housing costs",
                body="Send us your new tenancy agreement.",
                created_at=now - timedelta(days=40),
            ),
            JournalEntry(
                claimant_id=sam.id,
                author_role="work_coach",
                author_name="Work coach",
                subject="Your payment is lower this month",
                body="We have reduced your payment. You can ask us to look at this again.",
                created_at=cut,
            ),
        ]
    )
    grant = grants.give(
        sam,
        grants.Representative.of(adviser),
        scope_names=("mr:read", "mr:request", "journal:read", "todo:read", "payments:read"),
        ends_at=grants.add_months(now, 3),
        purpose="Help with my payment being cut",
        relationship="Welfare rights adviser",
        now=now,
        signer=signer,
        window=windows.Window(clock.uk_day(cut)),
        until_event=grants.MR_DECIDED,
        check_before_send=True,
    )
    _token, row, _expires = signer.issue(
        grant, client_id=clients.CONSOLE_CLIENT_ID, scopes=grant.scope_names, now=now
    )
    drafts.draft_for_demo(
        grant,
        token_id=row.jti,
        client_id=clients.CONSOLE_CLIENT_ID,
        author_name="Priya Shah, Northside Citizens Advice",
        about="Limited capability for work",
        reasons="The assessment did not look at the letter from Sam's doctor. It says Sam "
        "cannot walk more than 50 metres.",
        now=now,
    )


# Watches on to-dos and payments (issue 27): Priya watches Sam's to-dos and payments from her
# console. Sam's payment 12 days ago (the day the window starts) was lower than the one before,
# and a to-do is due in 2 days, so her console lists both under "To-dos and payments" (and, as
# she chose email, the outbox has a message for each).


def seed_item_watches(now: datetime, signer: TokenService) -> None:
    """Sam's to-do and payments, Priya's watches on them and what they told her; nothing if
    Priya has no live grant from Sam or ever watched Sam's to-dos or payments (a watch switched
    off stays off). Only the topics the grant's scopes reach: a demo seeded before issue 27
    gave Priya no `todo:read`, so it has the payment watch only."""
    sam = records.claimant_by_reference("UC-1002-SM")
    priya = db.session.scalar(
        db.select(Account).where(Account.username == "priya@northside.example")
    )
    if sam is None or priya is None:
        return
    grant = next(
        (g for g in grants.live_for_adviser(priya.id, now) if g.claimant_id == sam.id), None
    )
    if grant is None or db.session.scalar(
        db.select(ItemWatch.id).where(ItemWatch.claimant_id == sam.id).limit(1)
    ):
        return
    topics = [t for t, scope in item_watches.SCOPES.items() if scope in grant.scope_names]
    if not topics:
        return
    cut = now - timedelta(days=12)
    if db.session.scalar(db.select(Todo.id).where(Todo.claimant_id == sam.id).limit(1)) is None:
        db.session.add(
            Todo(claimant_id=sam.id, title="Book your work search review", due_at=now + 2 * DAY)
        )
    if (
        db.session.scalar(db.select(Payment.id).where(Payment.claimant_id == sam.id).limit(1))
        is None
    ):
        db.session.add_all(
            [
                Payment(  # before the window: Priya is told only that the next was lower
                    claimant_id=sam.id,
                    period_start=cut - 67 * DAY,
                    period_end=cut - 37 * DAY,
                    paid_at=cut - 30 * DAY,
                    amount_pence=61_020,
                ),
                Payment(
                    claimant_id=sam.id,
                    period_start=cut - 37 * DAY,
                    period_end=cut - 7 * DAY,
                    paid_at=cut,
                    amount_pence=48_511,
                ),
            ]
        )
    _token, row, _expires = signer.issue(
        grant, client_id=clients.CONSOLE_CLIENT_ID, scopes=grant.scope_names, now=now
    )
    for topic in topics:
        watches.set_for_demo(grant, token_id=row.jti, now=now, topic=topic)
    db.session.flush()
    item_watches.check(now, limit=100, signer=signer)  # as the sweep would, at once


# Contacts receive what the claimant chose (issue 23): Jo, Sam's nominated contact, gets copies
# of Sam's letters and reminders at her confirmed email address; Chris, Alex's brother, asked to
# be Alex's contact twelve days ago and nobody has answered, so Alex's home page and Jordan's
# record show how long it has waited, and it is on Jordan's "waiting too long" list. Alex needs
# additional support, so the record prompts Jordan to offer a trusted contact.

DEMO_REQUEST_CODE = "CHRS-MRGN"  # the code Chris gave Alex (README, "What to try first")


def seed_nominated_contacts(now: datetime) -> None:
    """Jo's address (nothing if Sam's contact has ended or has one) and Chris's request
    (nothing if anyone ever asked to be Alex's contact)."""
    sam = records.claimant_by_reference("UC-1002-SM")
    jo = grants.live_contact(sam.id, now) if sam else None
    if jo is not None and db.session.get(ContactAddress, jo.id) is None:
        nominated.attach(
            jo,
            typed_address="jo.morgan@example.com",
            kinds=(contact.REMINDERS, contact.LETTERS),
            by="system:demo",
            now=now,
            confirmed_at=now,  # the demo's staff member took the code on the phone
        )
    alex = records.claimant_by_reference("UC-1001-AM")
    if alex is None or db.session.scalar(
        db.select(ContactRequest.id).where(ContactRequest.claimant_id == alex.id).limit(1)
    ):
        return
    contact_requests.waiting_for_demo(
        alex,
        name="Chris Morgan",
        relationship="Brother",
        address="07700 900 456",
        answer_code=DEMO_REQUEST_CODE,
        since=now - timedelta(days=12),
    )


# Issue 25: each demo agency's kind, quality mark and code prefix; Priya administers Northside
# (her organisation page is "Your organisation" in the console). Fills in what is missing only.
AGENCIES = {
    "Northside Citizens Advice": ("citizens_advice", "aqs", "AQS1234", "NSA"),
    "Riverside Law Centre": ("law_centre", "lexcel", "501234", "RLC"),
}


def seed_agencies() -> None:
    for name, (kind, scheme, number, prefix) in AGENCIES.items():
        organisation = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
        if organisation is None or organisation.mark_scheme:
            continue
        organisation.kind, organisation.mark_scheme = kind, scheme
        organisation.mark_number, organisation.code_prefix = number, prefix
    priya = db.session.scalar(
        db.select(Adviser).join(Account).where(Account.username == "priya@northside.example")
    )
    if priya is not None:
        priya.is_org_admin = True
