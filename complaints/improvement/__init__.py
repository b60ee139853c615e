"""Improvement actions: what a supervisor did about a clerk's factor, and whether it worked.

operations: recording and withdrawing (check, change, flush; the caller commits).
results: the factor before and at the review month, and the tickets with that root cause, computed
from the scorecards every time (nothing stored that could drift).
"""
