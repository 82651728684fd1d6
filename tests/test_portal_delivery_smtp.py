"""E-mail delivery through a real SMTP conversation with a local aiosmtpd server (issue 4 §7)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.server_support import free_port
from tests.test_portal_scheduler import at, operated_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list = []

        def handle_message(self, message) -> None:
            self.messages.append(message)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    controller, _ = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 5
    settings.FUSIONTRACK_PORTAL_FROM_EMAIL = "questionnaires@north.example.org"
    return settings


def test_invitation_and_reminder_arrive_over_smtp(personas, smtp_server, smtp_settings):
    from fusiontrack.portal.scheduler import run_once

    _, inbox = smtp_server
    patient, _ = operated_patient(personas.north, personas.sofia)
    assert run_once(at(28)).delivery.sent == 1
    assert run_once(at(31)).delivery.sent == 1
    assert run_once(at(31, minute=1)).delivery.sent == 0
    assert len(inbox.messages) == 2
    first = inbox.messages[0]
    assert first["To"] == patient.email
    assert first["From"] == "questionnaires@north.example.org"
    assert first["Subject"] == "Your questionnaire from North Spine Centre"
    body = first.get_payload(decode=True).decode()
    assert "Hello Lena," in body and "http://127.0.0.1:8000/p/" in body
    assert inbox.messages[1]["Subject"].startswith("Reminder:")


def test_smtp_server_down_means_retry_later_not_loss(personas, settings):
    from fusiontrack.portal.models import OutboxMessage
    from fusiontrack.portal.scheduler import run_once

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    operated_patient(personas.north, personas.sofia)
    report = run_once(at(28))
    assert report.delivery.retried == 1
    message = OutboxMessage.objects.get()
    assert message.state == "queued" and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == at(28) + dt.timedelta(minutes=5)
