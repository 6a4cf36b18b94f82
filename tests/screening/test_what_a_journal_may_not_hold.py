"""Screening (issue 27, security.md 78): each kind of personal detail is found with its place
(characters counted from 1), in English and Welsh text; dates, amounts and references are not
mistaken for one; health and domestic-abuse words, English and Welsh, make the text sensitive."""

from __future__ import annotations

import pytest

from broker.casework import screening


def found(text: str, field: str = "reasons") -> list[tuple[str, str, int, int, str]]:
    return [
        (f.kind, f.field, f.first, f.last, text[f.first - 1 : f.last])
        for f in screening.findings([(field, text)])
    ]


@pytest.mark.parametrize(
    ("text", "kind", "part"),
    [
        ("Her NI number is AB 12 34 56 C, please check.", "ni_number", "AB 12 34 56 C"),
        ("NI: ab123456c", "ni_number", "ab123456c"),
        ("Ring her on 07700 900123 after noon.", "phone", "07700 900123"),
        ("Her number is +44 7700 900123.", "phone", "+44 7700 900123"),
        ("Landline (029) 2087 1234 only.", "phone", "(029) 2087 1234"),
        ("Write to alex.morgan+uc@example.org today.", "email", "alex.morgan+uc@example.org"),
        ("Pay into 20-00-00 account 12345678 please", "bank_details", "20-00-00 account 12345678"),
        ("Account 12345678, sort code 200000.", "bank_details", "12345678, sort code 200000"),
        ("She moved to CF10 1AA last month.", "postcode", "CF10 1AA"),
        ("She moved to sw1a1aa last month.", "postcode", "sw1a1aa"),
        ("She lives with my partner John Smith now.", "name", "John Smith"),
        ("Her son's name is Ioan and he is 4.", "name", "Ioan"),
        ("Her husband is called Dafydd.", "name", "Dafydd"),
        ("Lives with my partner, Mr Smith.", "name", "Mr Smith"),
    ],
)
def test_each_kind_is_found_with_its_place(text, kind, part):
    [(got_kind, field, first, last, matched)] = found(text)

    assert (got_kind, field, matched) == (kind, "reasons", part)
    assert (first, last) == (text.index(part) + 1, text.index(part) + len(part))


@pytest.mark.parametrize(
    ("text", "kind", "part"),
    [
        ("Ffoniwch hi ar 029 2087 1234 os gwelwch yn dda.", "phone", "029 2087 1234"),
        ("Mae hi'n byw yn SA1 1AA erbyn hyn.", "postcode", "SA1 1AA"),
        ("Mae ei mab Ioan Jones yn sâl.", "name", "Ioan Jones"),
        ("Mae fy ngŵr Dafydd yn gweithio.", "name", "Dafydd"),
        ("Ei rhif Yswiriant Gwladol yw AB123456C.", "ni_number", "AB123456C"),
    ],
)
def test_welsh_text_is_screened_too(text, kind, part):
    [(got_kind, _, first, last, matched)] = found(text)

    assert (got_kind, matched, first) == (kind, part, text.index(part) + 1)
    assert last == first + len(part) - 1


@pytest.mark.parametrize(
    "text",
    [
        "The decision of 01/02/2025 was wrong.",
        "The decision dated 2025-02-01 was wrong.",
        "Paid on 01-02-2025 and again 1.2.2025.",
        "Her reference is UC-1001-AM and UC-1002-SM.",
        "The MR was about £1,234.56 a month, then £393.45.",
        "She was paid 12345678 pence in total.",
        "My son is ill and my partner is at work.",
        "Mae fy mab yn sâl ac mae fy mhartner yn y gwaith.",
        "Her partner Universal Credit award was cut.",
        "It took 10 weeks and 3 days; see page 12 of 40.",
    ],
)
def test_dates_amounts_and_references_are_not_personal_details(text):
    assert found(text) == []


def test_each_field_is_named_and_the_refusal_never_repeats_the_text():
    with pytest.raises(screening.Refused) as refused:
        screening.check(
            [("decision_about", "Call 07700 900123"), ("reasons", "Email jo@example.org now")]
        )

    said = refused.value.description()
    assert "Remove the phone number from decision_about (characters 6 to 17)" in said
    assert "Remove the email address from reasons (characters 7 to 20)" in said
    assert "07700" not in said and "jo@example.org" not in said
    assert [f.as_json() for f in refused.value.findings] == [
        {"kind": "phone", "field": "decision_about", "first": 6, "last": 17},
        {"kind": "email", "field": "reasons", "first": 7, "last": 20},
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The assessment ignored her mental health.",
        "She has been diagnosed with cancer.",
        "He fled domestic abuse last year.",
        "She is in a refuge.",
        "Mae ganddi iselder a gorbryder.",
        "Aeth hi at y meddyg.",
        "Mae hi wedi dioddef cam-drin domestig.",
        "Mae hi mewn lloches.",
    ],
)
def test_health_and_abuse_words_in_english_and_welsh_make_it_sensitive(text):
    assert screening.sensitive(text)


@pytest.mark.parametrize(
    "text",
    ["The decision missed her payslips.", "Billing was late.", "Mae'r taliad yn hwyr."],
)
def test_other_text_is_not_sensitive(text):
    assert not screening.sensitive(text)
