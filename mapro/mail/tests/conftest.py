"""
A real SMTP server on 127.0.0.1 (aiosmtpd), started once per module: the tests read what it received.
`inbox.refuse` makes it answer the next messages' DATA with that reply (a 4xx or 5xx refusal).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from mapro.cases.tests.conftest import django_db_setup  # noqa: F401 - catalogue and demo people, once


@dataclass
class Received:
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def key(self) -> str:
        return self.message["X-Mapro-Key"]

    @property
    def subject(self) -> str:
        """Unfolded (a long Subject starts on the line after "Subject:")."""
        return str(self.message["Subject"]).strip()

    @property
    def body(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)  # replies for the next DATA commands, in order

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        if self.refuse:
            return self.refuse.pop(0)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    def by_key(self) -> dict[str, Received]:
        return {m.key: m for m in self.messages}

    def clear(self) -> None:
        self.messages.clear()
        self.refuse.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(host="127.0.0.1", port=_free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: Inbox, settings) -> Iterator[Inbox]:
    """Django's SMTP backend pointed at the server; an empty inbox for each test."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.MAPRO_BASE_URL = "https://mapro.example.gob.pe"
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()
