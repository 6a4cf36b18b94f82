"""The forms of issue 15: the claimant's contact preferences and a staff member's letter."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..i18n import N_
from ..messages import contact

CHANNEL_CHOICES = [SelectChoice(channel) for channel in contact.CHANNELS]


class PreferencesForm(FlaskForm):
    # Unticking everything leaves the inbox: every message is filed there whatever is chosen.
    reminders = SelectMultipleField(choices=CHANNEL_CHOICES, validate_choice=True)
    access_notices = SelectMultipleField(choices=CHANNEL_CHOICES, validate_choice=True)
    letters = SelectMultipleField(choices=CHANNEL_CHOICES, validate_choice=True)
    mobile = StringField(N_("Mobile phone number"))
    language = RadioField(
        choices=[SelectChoice("en", "English"), SelectChoice("cy", "Cymraeg")], default="en"
    )


class LetterForm(FlaskForm):
    # The length limit is the domain's (broker/messages/letters.py), counted as the claimant will
    # see it.
    body = TextAreaField("Letter")
    language = RadioField(
        "Language of the letter",
        choices=[SelectChoice("en", "English"), SelectChoice("cy", "Welsh")],
        default="en",
    )
