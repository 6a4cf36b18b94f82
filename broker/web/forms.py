"""Every HTML form, as a FlaskForm so that each carries its session-bound CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

import scopes


class SignInForm(FlaskForm):
    username = StringField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token: confirm on GET, act on POST."""


def scope_choices() -> list[tuple[str, str]]:
    return [(s.name, s.title_in("en")) for s in scopes.catalogue().values()]


class GiveAccessForm(FlaskForm):
    adviser_code = StringField(
        "Their adviser code",
        validators=[DataRequired("Enter the adviser code they gave you"), Length(max=20)],
    )
    scopes = SelectMultipleField(
        "What can they see or do?",
        choices=scope_choices,
        validators=[DataRequired("Choose at least one thing they can see or do")],
    )
    months = RadioField(
        "How long for?",
        choices=[("1", "1 month"), ("3", "3 months"), ("6", "6 months")],
        validators=[DataRequired("Choose how long they can have access")],
    )
    purpose = TextAreaField(
        "Why do they need it?",
        validators=[DataRequired("Say why they need access"), Length(max=500)],
    )
    relationship = StringField(
        "Who are they to you?",
        validators=[DataRequired("Say who they are to you"), Length(max=100)],
    )
    confirmed = HiddenField()


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
