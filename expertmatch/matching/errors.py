"""Errors raised by the matching engine.

Callers (the CLI, the web layer) catch these two and show their message as it is, without a
stack trace: both are meant to be read by the person who can fix the input or the setting.
"""

from __future__ import annotations


class MatchingError(Exception):
    """Base class of the errors the matching engine raises on purpose."""


class InputError(MatchingError, ValueError):
    """A document (expert, case, label, entity record) has a wrong shape or type.

    ``message`` says what is wrong in words a data editor understands; the CLI prefixes it with
    ``FILE:LINE:``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelUnavailable(MatchingError, RuntimeError):
    """The embedding model named by ``EXPERTMATCH_EMBEDDING_MODEL`` cannot be loaded."""
