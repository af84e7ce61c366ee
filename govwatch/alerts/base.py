"""The sender interface, shaped like APScheduler's ``jobstores/base.py``: one base module that
defines the interface, one module per backend (``smtp.py``, ``webhook.py``)."""
from __future__ import annotations

from abc import ABC, abstractmethod

from govwatch.models import Alert


class SendError(Exception):
    """A delivery failed.

    ``permanent``: retrying cannot help (mailbox does not exist, webhook revoked): the alert fails
    at once. ``connection``: the channel itself is unusable right now (server down, login refused):
    the outbox stops using the channel for this round instead of timing out on every alert.
    """

    def __init__(self, message: str, permanent: bool = False, connection: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection


class Sender(ABC):
    channel: str = ""

    def open(self) -> None:
        """Prepare (connections are opened lazily by ``send``)."""

    @abstractmethod
    def send(self, alert: Alert) -> None:
        """Deliver one alert; return only once the server accepted it, raise ``SendError`` otherwise."""

    def close(self) -> None:
        """Release connections."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()
