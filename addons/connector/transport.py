"""What every connector client shares, with no database: the error a call
raises, how long to wait before the next attempt and how to sign a
callback. A client is any object with
``call(operation, payload, idempotency_key)`` returning a dict that may hold
the partner's ``reference`` and ``status``."""
import hashlib
import hmac
import random

# Retry after 1, 2, 4 … times the endpoint's delay, never more than 6 hours
MAX_DELAY = 6 * 60 * 60
CALLBACK_TOLERANCE = 5 * 60


class TransportError(Exception):
    """A call failed.

    code names the kind of failure (timeout, connection, server, client,
    fault, malformed, forbidden, invalid); temporary says whether trying
    again may succeed; detail is the partner's words (status, fault)."""

    def __init__(self, code, temporary, detail=''):
        super().__init__(f'{code}: {detail}')
        self.code = code
        self.temporary = temporary
        self.detail = detail


def retry_delay(base, attempts, rng=random):
    "Seconds before the attempt after attempts: exponential, full jitter"
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return rng.uniform(delay / 2, delay)


def scrub(text, secrets, limit=200):
    "Remove the secrets from text and keep it short"
    text = str(text or '')
    for secret in secrets:
        if secret:
            text = text.replace(secret, '***')
    text = ' '.join(text.split())
    return text[:limit] + ('…' if len(text) > limit else '')


def signature(secret, timestamp, body):
    "HMAC-SHA256 of the timestamp, a dot and the body, in hexadecimal"
    if isinstance(body, str):
        body = body.encode('utf-8')
    return hmac.new(
        secret.encode('utf-8'), f'{timestamp}.'.encode('ascii') + body,
        hashlib.sha256).hexdigest()


def check_signature(secret, timestamp, body, signed):
    return bool(secret and signed) and hmac.compare_digest(
        signature(secret, timestamp, body), signed.removeprefix('sha256='))
