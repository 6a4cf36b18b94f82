"""Every HTML form, as a FlaskForm so that each carries its session-bound CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    validators,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

import scopes

from .. import inputs
from ..consent import clients
from ..i18n import N_
from ..messages import contact
from ..people.records import REMOVAL_REASON_MAX_CHARS


class DataRequired(validators.DataRequired):
    """WTForms' DataRequired, and text must show something: only spaces, zero-width or other
    characters that print nothing count as empty, with the same message (security.md 70)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if isinstance(field.data, str) and not inputs.visible(field.data):
            kept, field.data = field.data, ""  # refused as empty is, with its message
            try:
                super().__call__(form, field)
            finally:
                field.data = kept
        super().__call__(form, field)


class SignInForm(FlaskForm):
    username = StringField(
        N_("Email address"), validators=[DataRequired(N_("Enter your email address"))]
    )
    password = PasswordField(N_("Password"), validators=[DataRequired(N_("Enter your password"))])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token: confirm on GET, act on POST."""


def first_errors(form: FlaskForm) -> dict[str, str]:
    """The first message of each field that failed validation, by field name, in the order the
    page shows the fields: the form's `field_order` when it has one (its fields are declared in
    another order, as a subclass's are), else the order they are declared in. GOV.UK's error
    summary lists the errors in the order of the page."""
    errors = {name: messages[0] for name, messages in form.errors.items() if messages}
    rank = {name: place for place, name in enumerate(getattr(form, "field_order", ()))}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(rank))))


# The labels are English: claimant pages word the durations themselves, in their language.
MONTH_CHOICES = [
    SelectChoice("1", "1 month"),
    SelectChoice("3", "3 months"),
    SelectChoice("6", "6 months"),
]


def scope_choices() -> list[SelectChoice]:
    return [SelectChoice(s.name, s.title_in("en")) for s in scopes.catalogue().values()]


class GiveAccessForm(FlaskForm):
    adviser_code = StringField(
        N_("Their adviser code"),
        validators=[DataRequired(N_("Enter the adviser code they gave you")), Length(max=20)],
    )
    scopes = SelectMultipleField(
        N_("What can they see or do?"),
        choices=scope_choices,
        validators=[DataRequired(N_("Choose at least one thing they can see or do"))],
    )
    months = RadioField(
        N_("How long for?"),
        choices=MONTH_CHOICES,
        validators=[DataRequired(N_("Choose how long they can have access"))],
    )
    purpose = TextAreaField(
        N_("Why do they need it?"),
        validators=[DataRequired(N_("Say why they need access")), Length(max=500)],
    )
    relationship = StringField(
        N_("Who are they to you?"),
        validators=[DataRequired(N_("Say who they are to you")), Length(max=100)],
    )
    confirmed = HiddenField()
    # Access that ends when the case does (broker/consent/case_tied.py); still no later than
    # `months`.
    until_decided = BooleanField(N_("Until my reconsideration is decided"))


class TellByForm(FlaskForm):
    """How an adviser hears that a watched decision arrived (broker/casework/watches.py)."""

    tell_by = RadioField(
        "Tell me by",
        choices=[SelectChoice("email", "Email"), SelectChoice("console", "Only in the console")],
        validators=[DataRequired("Choose how we tell you")],
    )


class MRRequestForm(FlaskForm):
    decision_about = StringField(
        "Which decision should be looked at again?",
        validators=[DataRequired("Enter which decision this is about"), Length(max=150)],
    )
    reasons = TextAreaField(
        "Why is the decision wrong?",
        validators=[DataRequired("Enter the reasons"), Length(max=5000)],
    )


class FindClaimantForm(FlaskForm):
    reference = StringField(
        "Claimant reference",
        validators=[DataRequired("Enter the claimant reference"), Length(max=40)],
    )


# The staff side and the rest of a grant's life (issue 4).

REVIEW_CHOICES = [SelectChoice(str(n), "1 month" if n == 1 else f"{n} months") for n in range(1, 7)]


def contact_scope_choices() -> list[SelectChoice]:
    return [SelectChoice(s.name, s.title_in("en")) for s in scopes.CONTACT_SCOPES.values()]


class _PhoneConsentFields(FlaskForm):
    """The five facts staff must take down when a claimant gives consent by phone."""

    consented = BooleanField(
        "The claimant told me they agree to us sharing their information with this person",
        validators=[
            DataRequired("Confirm that the claimant agreed to us sharing their information")
        ],
    )
    name = StringField(
        "Representative's full name",
        validators=[DataRequired("Enter the representative's name"), Length(max=200)],
    )
    relationship = StringField(
        "Their relationship to the claimant",
        validators=[DataRequired("Enter their relationship to the claimant"), Length(max=100)],
    )
    purpose = TextAreaField(
        "Why the information is needed",
        validators=[DataRequired("Enter why the information is needed"), Length(max=500)],
    )
    # No length is chosen for staff: the claimant must say it (GOV.UK: never preselect an
    # answer people have to think about). The review date is a rule, not their answer: one month.
    months = RadioField(
        "How long the consent lasts",
        choices=MONTH_CHOICES,
        validators=[DataRequired("Choose how long the consent lasts")],
        invalid_choice_message="Choose how long the consent lasts",
    )
    review_months = RadioField(
        "Review the consent after",
        choices=REVIEW_CHOICES,
        default="1",
        validators=[DataRequired("Choose when the consent must be reviewed")],
        invalid_choice_message="Choose when the consent must be reviewed",
    )


class RecordConsentForm(_PhoneConsentFields):
    # templates/staff/record_consent.html asks in this order
    field_order = (
        "name",
        "organisation",
        "adviser_code",
        "relationship",
        "scopes",
        "purpose",
        "months",
        "until_decided",
        "review_months",
        "consented",
    )
    # Access that ends when the case does (broker/consent/case_tied.py)
    until_decided = BooleanField(
        "Until the claimant's reconsideration is decided, then 31 days to appeal (still no "
        "later than the time above)"
    )
    organisation = StringField(
        "Their organisation",
        validators=[DataRequired("Enter the representative's organisation"), Length(max=200)],
    )
    adviser_code = StringField(
        "Their adviser code (if they have one)", validators=[Optional(), Length(max=20)]
    )
    scopes = SelectMultipleField(
        "What information may be shared",
        choices=scope_choices,
        validators=[DataRequired("Choose what information may be shared")],
    )


def copy_kind_choices() -> list[SelectChoice]:
    """The kinds of message a nominated contact can get copies of (broker/messages/contact.py)."""
    return [SelectChoice(kind) for kind in contact.KINDS]


class RecordContactForm(_PhoneConsentFields):
    # templates/staff/record_contact.html asks in this order
    field_order = (
        "name",
        "relationship",
        "scopes",
        "address",
        "copies",
        "purpose",
        "months",
        "review_months",
        "consented",
    )
    consented = BooleanField(
        "The claimant told me they agree to us sharing information about their claim with "
        "this person",
        validators=[
            DataRequired("Confirm that the claimant agreed to us sharing their information")
        ],
    )
    name = StringField(
        "Contact's full name",
        validators=[DataRequired("Enter the contact's name"), Length(max=200)],
    )
    scopes = SelectMultipleField(
        "How we may contact them",
        choices=contact_scope_choices,
        validators=[DataRequired("Choose how we may contact them")],
    )
    # Issue 23: where copies go, confirmed by a code (broker/messages/nominated.py checks both).
    address = StringField("Their email address or UK mobile number", validators=[Length(max=200)])
    copies = SelectMultipleField(
        "What we send them a copy of", choices=copy_kind_choices, validate_choice=False
    )


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        "Why are you suspending this consent?",
        validators=[DataRequired("Enter why you are suspending this consent"), Length(max=500)],
    )


class PinNoteForm(FlaskForm):
    body = TextAreaField(
        "Note",
        validators=[DataRequired("Enter the note"), Length(max=500)],
    )


class AdditionalSupportForm(FlaskForm):
    description = TextAreaField(
        "What support do they need?",
        validators=[DataRequired("Describe the support they need"), Length(max=1000)],
    )


class RemoveSupportForm(FlaskForm):
    reason = TextAreaField(
        "Why are you removing the flag?",
        validators=[
            DataRequired("Enter why you are removing the flag"),
            Length(
                max=REMOVAL_REASON_MAX_CHARS,
                message=f"The reason must be {REMOVAL_REASON_MAX_CHARS} characters or fewer",
            ),
        ],
    )


class ReviewForm(FlaskForm):
    """One tap: the button pressed carries the choice."""

    choice = RadioField(
        choices=[SelectChoice("keep", "Keep"), SelectChoice("end", "End")],
        validators=[DataRequired(N_("Choose to keep or stop their access"))],
    )


class NarrowForm(FlaskForm):
    """The scopes a claimant keeps on a grant; grants.narrow decides what is allowed, so the
    choices are not checked here (an unknown or added scope gets its own plain message)."""

    scopes = SelectMultipleField(
        N_("What can they still see or do?"),
        choices=scope_choices,
        validate_choice=False,
    )


class ContactForm(FlaskForm):
    """A claimant names someone we should contact about their claim."""

    name = StringField(
        N_("Their full name"),
        validators=[DataRequired(N_("Enter their name")), Length(max=200)],
    )
    relationship = StringField(
        N_("Who are they to you?"),
        validators=[DataRequired(N_("Say who they are to you")), Length(max=100)],
    )
    scopes = SelectMultipleField(
        N_("How can we contact them?"),
        choices=contact_scope_choices,
        validators=[DataRequired(N_("Choose at least one way we can contact them"))],
    )
    months = RadioField(
        N_("How long for?"),
        choices=MONTH_CHOICES,
        validators=[DataRequired(N_("Choose how long for"))],
    )
    purpose = TextAreaField(
        N_("Why should we contact them?"),
        validators=[DataRequired(N_("Say why we should contact them")), Length(max=500)],
    )
    confirmed = HiddenField()
    # Issue 23: where copies go, confirmed by a code (broker/messages/nominated.py checks both).
    address = StringField(
        N_("Their email address or UK mobile number"), validators=[Length(max=200)]
    )
    copies = SelectMultipleField(
        N_("What should we send them a copy of?"),
        choices=copy_kind_choices,
        validate_choice=False,
    )


# A nominated contact's address and a relative's request to be the contact (issue 23).


class ContactCodeForm(FlaskForm):
    """The 6-digit code sent to a nominated contact's address, as they read it out."""

    code = StringField(
        N_("The 6-digit code"),
        validators=[DataRequired(N_("Enter the 6-digit code they got")), Length(max=20)],
    )


class AskToBeContactForm(FlaskForm):
    """Someone asks to be a claimant's nominated contact (a public page)."""

    field_order = ("reference", "name", "relationship", "address")
    reference = StringField(
        N_("Their claim reference"),
        validators=[DataRequired(N_("Enter their claim reference")), Length(max=40)],
    )
    name = StringField(
        N_("Your full name"),
        validators=[DataRequired(N_("Enter your full name")), Length(max=200)],
    )
    relationship = StringField(
        N_("Who are you to them?"),
        validators=[DataRequired(N_("Say who you are to them")), Length(max=100)],
    )
    address = StringField(
        N_("Your email address or UK mobile number"),
        validators=[
            DataRequired(N_("Enter your email address or UK mobile number")),
            Length(max=200),
        ],
    )


class RequestCodeForm(FlaskForm):
    code = StringField(
        N_("The 6-digit code"),
        validators=[DataRequired(N_("Enter the 6-digit code we sent you")), Length(max=20)],
    )


class AnswerRequestForm(FlaskForm):
    """The claimant's answer to someone asking to be their contact: yes needs their code."""

    field_order = ("code", "scopes", "copies", "months", "purpose")
    decision = HiddenField()
    code = StringField(N_("Their code"), validators=[Length(max=20)])
    scopes = SelectMultipleField(
        N_("How can we contact them?"), choices=contact_scope_choices, validate_choice=False
    )
    copies = SelectMultipleField(
        N_("What should we send them a copy of?"),
        choices=copy_kind_choices,
        validate_choice=False,
    )
    months = RadioField(N_("How long for?"), choices=MONTH_CHOICES, validate_choice=False)
    purpose = TextAreaField(N_("Why should we contact them?"), validators=[Length(max=500)])


# OAuth: a claimant's answer to a request, an adviser asking by QR code, client registration
# (issue 3).


class ConsentForm(FlaskForm):
    """A claimant's answer to a client's request; broker.consent.clients checks it against the
    request (only scopes that were asked for, no longer than asked), so the choices are not checked
    here.
    """

    scopes = SelectMultipleField(
        N_("What they can see or do"), choices=scope_choices, validate_choice=False
    )
    months = StringField(N_("How long for"))
    decision = StringField()
    user_code = HiddenField()


class AskForm(FlaskForm):
    scopes = SelectMultipleField(
        "What do you need to see or do?",
        choices=scope_choices,
        validators=[DataRequired("Choose at least one thing you need to see or do")],
    )
    months = RadioField(
        "How long for?",
        choices=MONTH_CHOICES,
        validators=[DataRequired("Choose how long you need access for")],
    )
    purpose = TextAreaField(
        "Why do you need access?",
        validators=[DataRequired("Say why you need access"), Length(max=500)],
    )
    relationship = StringField(
        "Who are you to your client?",
        validators=[DataRequired("Say who you are to your client"), Length(max=100)],
    )


def grant_type_choices() -> list[SelectChoice]:
    return [
        SelectChoice(clients.CODE_GRANT, "Authorization code with PKCE (a case-management system)"),
        SelectChoice(clients.REFRESH_GRANT, "Refresh tokens"),
        SelectChoice(clients.DEVICE_GRANT, "Device authorization (a screen that shows a QR code)"),
    ]


class ClientForm(FlaskForm):
    name = StringField(
        "Name of the system",
        validators=[DataRequired("Enter the name of the system"), Length(max=200)],
    )
    organisation = StringField(
        "Organisation",
        validators=[DataRequired("Enter the organisation's name"), Length(max=200)],
    )
    redirect_uris = TextAreaField("Redirect URLs", validators=[Length(max=4000)])
    scopes = SelectMultipleField(
        "Scopes it may ask for",
        choices=scope_choices,
        validators=[DataRequired("Choose at least one scope")],
    )
    grant_types = SelectMultipleField(
        "Grant types",
        choices=grant_type_choices,
        validators=[DataRequired("Choose at least one grant type")],
    )
    auth_method = RadioField(
        "How it signs in",
        choices=[
            SelectChoice("client_secret_basic", "With a secret, sent by HTTP Basic (a server)"),
            SelectChoice(
                "client_secret_post", "With a secret, sent in the request body (a server)"
            ),
            SelectChoice("none", "Without a secret (a public app that cannot keep one)"),
        ],
        default="client_secret_basic",
        validators=[DataRequired("Choose how it signs in")],
    )
    push_endpoint = StringField("Push endpoint (optional)", validators=[Length(max=2000)])
    require_dpop = BooleanField("Require DPoP: issue only tokens bound to the system's key")


class VerifyFileForm(FlaskForm):
    """Upload a signed file to check (public: no sign-in)."""

    file = FileField(
        N_("Notice, statement, receipt or history file (JSON)"),
        validators=[FileRequired("Choose the file to check")],
    )


class VerifyCodeForm(FlaskForm):
    """The check code printed on a signed notice (public: no sign-in)."""

    code = StringField(
        N_("Check code"), validators=[DataRequired(N_("Enter the check code from the notice"))]
    )


class StatementForm(FlaskForm):
    """The dates an adviser's statement lists (the file proves every event, whatever the dates)."""

    date_from = DateField("From", validators=[DataRequired("Enter the first date")])
    date_to = DateField("To", validators=[DataRequired("Enter the last date")])


# Issue 25: advice agencies. The rules (kind, mark shape, prefix) are checked by
# broker/people/organisations.py, which names the field at fault; these only carry the answers.
class OrganisationForm(FlaskForm):
    name = StringField("Organisation name", validators=[Length(max=200)])
    kind = RadioField("What kind of organisation is it?", validate_choice=False)
    mark_scheme = RadioField("Regulator or quality mark", validate_choice=False)
    mark_number = StringField("Reference number", validators=[Length(max=40)])
    code_prefix = StringField("Adviser code prefix (optional)", validators=[Length(max=6)])
    admin_email = StringField("Email of its first organisation admin", validators=[Length(max=200)])


class InviteForm(FlaskForm):
    email = StringField("Email address", validators=[Length(max=200)])
    as_admin = BooleanField("They will also administer the organisation")


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your full name", validators=[Length(max=200)])
    password = PasswordField("Choose a password", validators=[Length(max=200)])


class MoveClientsForm(FlaskForm):
    colleague = RadioField("Which colleague should take over?", validate_choice=False)


class LinkReferenceForm(FlaskForm):
    """Issue 25: the UC reference of a claimant linking their GOV.UK One Login."""

    reference = StringField(
        N_("Your Universal Credit reference"),
        validators=[DataRequired(N_("Enter your Universal Credit reference")), Length(max=40)],
    )


class LinkCodeForm(FlaskForm):
    """Issue 25: the 6-digit code sent to the claimant's own phone or email."""

    code = StringField(
        N_("The 6-digit code"),
        validators=[DataRequired(N_("Enter the 6-digit code we sent you")), Length(max=20)],
    )


class DisputeForm(FlaskForm):
    """ "This wasn't right" on a line of the claimant's history (issue 27): their own words.
    Blank or invisible text is refused by casework/disputes.py, which says the same."""

    words = TextAreaField(
        N_("What was wrong?"),
        validators=[
            DataRequired(N_("Tell us what was wrong")),
            Length(max=1000, message=N_("Use 1,000 characters or fewer")),
        ],
    )


class CloseDisputeForm(FlaskForm):
    """Staff's outcome for a claimant's dispute (issue 27); staff pages are English."""

    outcome = RadioField(
        choices=[
            SelectChoice("resumed", "Resumed"),
            SelectChoice("stopped", "Stopped"),
            SelectChoice("passed_on", "Passed on"),
        ],
        validators=[DataRequired("Choose an outcome")],
    )
