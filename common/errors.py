"""The one family of domain errors.

Every refusal of a business rule raises a ``DomainError`` with a stable machine ``code`` and a
translated human ``message``. The API maps it to 409 (or 403 for ``PermissionRefused``), the
HTML views and the admin show the message.
"""

from django.utils.encoding import force_str


class DomainError(Exception):
    """A request that the current state of the data refuses (HTTP 409)."""

    status_code = 409

    def __init__(self, code: str, message) -> None:
        self.code = code
        self._message = message
        super().__init__(code)

    @property
    def message(self) -> str:
        # Evaluated late so that a lazy message is translated in the language active when shown.
        return force_str(self._message)

    def __str__(self) -> str:
        return self.message


class PermissionRefused(DomainError):
    """The user may see the object but not do this to it (HTTP 403)."""

    status_code = 403
