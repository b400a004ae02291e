"""Hearth's one exception tree.

Two kinds of failure exist and they are handled differently:

* :class:`HearthError` and its subclasses are *known* errors caused by the
  environment or by the user's input (a missing model file, a locked
  database, an empty message).  They carry a short message written for the
  user; the CLI prints it on stderr and exits with :attr:`exit_code`, the GUI
  shows it in a dialog or the status bar.  They never carry secrets.
* Anything else is a *bug*.  Front ends log it with its traceback to the log
  file and tell the user where that log is, never showing the traceback.
"""

from __future__ import annotations


class HearthError(Exception):
    """A failure the user can understand and act on."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_text(self) -> str:
        """One or two lines for the user."""
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class UsageError(HearthError):
    """The command or input was malformed (CLI exit status 2)."""

    exit_code = 2


class PolicyError(HearthError):
    """Refused by privacy policy or for lack of consent (CLI exit status 3)."""

    exit_code = 3


class ConfigError(HearthError):
    """The settings file cannot be read or holds an invalid value."""


class ModelError(HearthError):
    """A model file is missing, invalid, or failed to load."""


class EngineError(HearthError):
    """Inference failed while producing a reply."""


class ContextOverflowError(HearthError):
    """The message alone does not fit the model's context window."""


class StorageError(HearthError):
    """The history database cannot be read or written."""


class DatabaseTooNewError(StorageError):
    """The database was written by a newer Hearth and is refused."""


class NotFoundError(HearthError):
    """A conversation, message or model named by the user does not exist."""
