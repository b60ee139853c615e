"""Postal item numbers: the UPU S10 check digit, normalisation, domestic waybill numbers."""

from __future__ import annotations

import pytest

from complaints.tickets.items import BadItemNumber, clean_number, normalise, s10_check_digit


@pytest.fixture(autouse=True)
def _ctx(app):
    """clean_number's messages are translated: it needs an app (and request-less Babel). The
    assertions read the English messages."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(("serial", "digit"), [
    ("12345678", 5),  # 8+12+12+8+15+30+63+56 = 204; 204 % 11 = 6; 11 - 6 = 5
    ("00000000", 5),  # 11 - 0 = 11, written 5
    ("70000000", 0),  # 56 % 11 = 1; 11 - 1 = 10, written 0
    ("00000010", 2),  # 9; 11 - 9 = 2
    ("47312482", 9),  # 32+42+12+2+6+20+72+14 = 200; 200 % 11 = 2; 11 - 2 = 9
])
def test_s10_check_digit(serial, digit):
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    total = sum(int(d) * w for d, w in zip(serial, weights, strict=True))
    expected = {10: 0, 11: 5}.get(11 - total % 11, 11 - total % 11)
    assert expected == digit  # the hand-worked examples agree with the documented rule
    assert s10_check_digit(serial) == expected


@pytest.mark.parametrize("serial", ["1234567", "123456789", "1234567a", "１２３４５６７８", ""])
def test_s10_serial_must_be_eight_ascii_digits(serial):
    with pytest.raises(ValueError):
        s10_check_digit(serial)


@pytest.mark.parametrize("number", ["EA123456785CN", "RR123456785CN", "CP000000005CN", "EE700000000CN",
                                    "LX000000102DE"])
def test_valid_s10_numbers_are_accepted_as_they_are(number):
    assert clean_number(number) == number


@pytest.mark.parametrize(("raw", "digit"), [
    ("EA123456784CN", 5), ("RR123456780CN", 5), ("EE700000005CN", 0), ("LX000000105DE", 2),
])
def test_a_wrong_check_digit_is_refused_naming_the_right_one(raw, digit):
    with pytest.raises(BadItemNumber) as exc:
        clean_number(raw)
    message = str(exc.value)
    assert raw in message
    assert f"should be {digit}" in message


@pytest.mark.parametrize(("raw", "clean"), [
    ("ea 1234 5678 5cn", "EA123456785CN"),
    ("  EA-1234-5678-5-CN ", "EA123456785CN"),
    ("rr123456785cn", "RR123456785CN"),
    ("ea\t12345678 5cn", "EA123456785CN"),
    ("ＥＡ１２３４５６７８５ＣＮ", "EA123456785CN"),  # full-width, from a Chinese input method
    ("EA　1234　5678　5CN", "EA123456785CN"),  # ideographic spaces
])
def test_numbers_are_normalised(raw, clean):
    assert normalise(raw) == clean
    assert clean_number(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), [
    ("12345678", "12345678"),  # 8 characters: the shortest domestic number
    ("sf1234567890", "SF1234567890"),
    ("YT 9876 5432 1012", "YT987654321012"),
    ("A" * 30, "A" * 30),  # 30: the longest
    ("1" * 30, "1" * 30),
    ("EA12345678CN", "EA12345678CN"),  # not the S10 form (one digit short): a domestic number
])
def test_domestic_numbers_of_8_to_30_letters_and_digits_are_accepted(raw, clean):
    assert clean_number(raw) == clean


@pytest.mark.parametrize("raw", [
    "1234567",  # 7: too short
    "A" * 31,  # too long
    "1" * 31,
    "EA1234/5678",  # a symbol
    "EA12345678.5CN",
    "EA_123456785CN",
    "邮件12345678",  # not ASCII
    "ＥＡ１２３４/５６７８",  # a full-width symbol is a symbol too
    "EA१२३४५६७८५CN",  # Devanagari digits are digits to Python, not on a label
    "",
    "   ",
])
def test_too_short_too_long_or_with_symbols_is_refused(raw):
    with pytest.raises(BadItemNumber) as exc:
        clean_number(raw)
    assert "8 to 30" in str(exc.value)
