"""Postal item numbers (邮件号 / 运单号): the UPU S10 check digit and domestic formats.

An S10 number is two letters, eight serial digits, a check digit and two letters
(``EA123456785CN``). The check digit is 11 minus the weighted sum (weights 8 6 4 2 3 5 9 7)
mod 11, with 10 written as 0 and 11 as 5. Other domestic waybill numbers (letters and
digits, 8 to 30 characters) are taken as typed, in upper case without spaces.
"""

from __future__ import annotations

import re
import unicodedata

S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)[A-Z]{2}$", re.ASCII)  # ASCII digits only (\d is Unicode)
DOMESTIC = re.compile(r"^[A-Z0-9]{8,30}$")
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
MAX_LENGTH = 30


class BadItemNumber(ValueError):
    """The number is not an item number; ``str()`` is the reason, for the user."""


def s10_check_digit(serial: str) -> int:
    """The check digit of an eight-digit S10 serial number."""
    if len(serial) != 8 or not serial.isascii() or not serial.isdigit():
        raise ValueError("an S10 serial number has eight digits")
    check = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def normalise(raw: str) -> str:
    """Upper case, without spaces or dashes (as clerks copy them off a label); full-width
    letters and digits (typed with a Chinese input method) read as their ASCII forms."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw)).upper()


def looks_like_s10(number: str) -> bool:
    return S10.match(number) is not None


def clean_number(raw: str) -> str:
    """The normalised number, or BadItemNumber with a message for a wrong check digit or format."""
    from flask_babel import gettext as _

    number = normalise(raw)
    match = S10.match(number)
    if match:
        expected = s10_check_digit(match.group(1))
        if int(match.group(2)) != expected:
            raise BadItemNumber(_("%(number)s: the check digit should be %(digit)d. Check the number on the label.",
                                  number=number, digit=expected))
        return number
    if not DOMESTIC.match(number):
        raise BadItemNumber(_("An item number has 8 to 30 letters and digits."))
    return number
