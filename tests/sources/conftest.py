"""Signing through the form and pressing the emailed links, as in
tests/second_submissions."""

from tests.second_submissions.conftest import press, sign  # noqa: F401
