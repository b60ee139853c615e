"""Search terms: Chinese has no spaces, so Chinese runs are cut into overlapping pairs (bigrams).

'营业员态度生硬' gives 营业, 业员, 员态, 态度, 度生, 生硬: a search for the two-character word 态度
finds it, and a longer query must match all of its pairs (then the text itself is checked).
Latin letters and digits form words. Pure functions, used when a ticket is logged and when a
query is read.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_TERMS = 400  # a 5,000-character description yields at most this many distinct terms


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def terms(text: str) -> set[str]:
    """The distinct terms of a text: CJK bigrams and words of two or more letters or digits.

    A lone character is not a term (too common to narrow anything); a query keeps it as text
    that the matching tickets must contain.
    """
    out: set[str] = set()
    for run in _RUNS.findall(normalise(text)):
        if _IS_CJK.match(run):
            out.update(run[i:i + 2] for i in range(len(run) - 1))
        elif len(run) >= 2:
            out.add(run[:32])
    return out


def index_terms(description: str, customer_name: str | None, phone: str | None) -> list[str]:
    found = terms(description) | terms(customer_name or "")
    words = sorted(found, key=lambda t: (len(t), t))[:MAX_TERMS]
    from ..authz import phone_last_four

    last_four = phone_last_four(phone)  # of the number itself, not of a landline's extension
    if len(last_four) == 4:
        words.append("tel:" + last_four)
    return words


def query_terms(query: str) -> list[str]:
    """The terms a query must all match (empty when it has nothing searchable)."""
    return sorted(terms(query))[:20]
