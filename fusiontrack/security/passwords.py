"""Password rules after NIST SP 800-63B §5.1.1.2: length, not breached, no composition rules.

Django's own validators keep the minimum length (12 in settings) and the 20,000 most common
passwords; these add the upper bound and the offline breach list (see data/breached-passwords
.README.md for its source and licence).
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

BREACHED_LIST = Path(__file__).parent / "data" / "breached-passwords.txt.gz"


@cache
def breached_passwords() -> frozenset[str]:
    """The shipped list, loaded once per process (about 100,000 lower-cased entries)."""
    with gzip.open(BREACHED_LIST, "rt", encoding="utf-8") as handle:
        return frozenset(line.rstrip("\n") for line in handle if line.strip())


class BreachedPasswordValidator:
    """Refuse passwords that appear in a public breach corpus (compared lower-cased)."""

    def validate(self, password: str, user: Any = None) -> None:
        if password.lower().strip() in breached_passwords():
            raise ValidationError(
                "This password appears in lists of passwords stolen in data breaches. "
                "Choose another one, for example a few unrelated words.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be one found in public data-breach lists."


class MaximumLengthValidator:
    """An upper bound that allows long passphrases (NIST: at least 64) but not megabyte inputs."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is longer than {self.max_length} characters. Use a shorter one.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters long."
