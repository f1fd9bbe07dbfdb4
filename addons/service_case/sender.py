"""Transports of the citizens' notifications, kept apart from the database:
each takes a plain message dict and raises SendError when it fails."""
import logging
from email.message import EmailMessage

import requests

logger = logging.getLogger(__name__)


class SendError(Exception):
    "A send failed; retry only when the error is temporary"

    def __init__(self, message, temporary=True):
        super().__init__(message)
        self.temporary = temporary


class LogSender:
    "Write the message to the server log (tests, demonstrations)"

    def send(self, message):
        logger.info(
            "notification %(id)s by %(channel)s to %(recipient)s: %(text)s",
            message)


class HttpSmsSender:
    "POST the message as JSON to an SMS gateway"

    def __init__(self, url, timeout):
        self.url = url
        self.timeout = timeout

    def send(self, message):
        try:
            response = requests.post(
                self.url, json=message, timeout=self.timeout,
                headers={'Idempotency-Key': message['id']})
        except requests.RequestException as exception:
            raise SendError(
                f"{type(exception).__name__}: {exception}") from exception
        if response.status_code >= 400:
            # A refused message (4xx) will be refused again: no retry
            raise SendError(
                f"HTTP {response.status_code}: {response.text[:200]}",
                temporary=response.status_code >= 500
                or response.status_code == 429)


class SmtpSender:
    "Send the message by email through trytond's [email] settings"

    def __init__(self, from_addr, subject):
        self.from_addr = from_addr
        self.subject = subject

    def send(self, message):
        from trytond.sendmail import sendmail
        msg = EmailMessage()
        msg['From'] = self.from_addr
        msg['To'] = message['recipient']
        msg['Subject'] = self.subject
        msg['Message-ID'] = f"<{message['id']}@service_case>"
        msg.set_content(message['text'])
        try:
            sendmail(self.from_addr, [message['recipient']], msg, strict=True)
        except Exception as exception:
            raise SendError(
                f"{type(exception).__name__}: {exception}") from exception


def get_sender(kind, channel, url=None, timeout=10, from_addr=None,
        subject=''):
    "Return the sender of channel for the configured kind (log or http)"
    if kind == 'http':
        if channel == 'sms':
            return HttpSmsSender(url, timeout)
        return SmtpSender(from_addr, subject)
    return LogSender()
