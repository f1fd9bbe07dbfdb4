"""What every connector client shares, with no database: the error a call
raises, which URLs may carry a partner's secret, how long to wait before
the next attempt and how to sign a callback. A client is any object with
``call(operation, payload, idempotency_key)`` returning a dict that may hold
the partner's ``reference`` and ``status``."""
import hashlib
import hmac
import random
import urllib.parse

import requests

# Retry after 1, 2, 4 … times the endpoint's delay, never more than 6 hours
MAX_DELAY = 6 * 60 * 60
CALLBACK_TOLERANCE = 5 * 60
# Plain HTTP only reaches this machine: tests and local simulators
LOCAL_HOSTS = {'127.0.0.1', 'localhost', '::1'}


class TransportError(Exception):
    """A call failed.

    code names the kind of failure (timeout, connection, tls, server,
    client, credentials, fault, malformed, forbidden, invalid, insecure,
    and for a test of the connection wsdl and service); temporary says whether
    trying again may succeed; detail is the partner's words (status,
    fault)."""

    def __init__(self, code, temporary, detail=''):
        super().__init__(f'{code}: {detail}')
        self.code = code
        self.temporary = temporary
        self.detail = detail


def is_secure_url(url):
    """Whether url may carry credentials and citizens' data: HTTPS, or
    plain HTTP to this machine only"""
    url = url or ''
    # Refuse what parsers read differently (backslashes, spaces, control
    # characters) and credentials in the URL, so that the host checked here
    # is the host the client connects to
    if '\\' in url or any(
            c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        hostname, _ = parts.hostname, parts.port  # a bad port raises
    except ValueError:
        return False
    if not hostname or '@' in parts.netloc:
        return False
    if parts.scheme == 'https':
        return True
    return parts.scheme == 'http' and hostname in LOCAL_HOSTS


def require_secure_url(url):
    "Raise a TransportError before a secret leaves on an insecure URL"
    if not is_secure_url(url):
        raise TransportError('insecure', False, url)


def request_error(error):
    "The TransportError of a requests call that got no answer"
    if isinstance(error, requests.Timeout):
        return TransportError('timeout', True, type(error).__name__)
    if isinstance(error, requests.exceptions.SSLError):
        # a certificate the partner may renew, or a wrong URL: retried
        return TransportError('tls', True, type(error).__name__)
    return TransportError('connection', True, type(error).__name__)


def refuse_redirect(response, *args, **kwargs):
    """Response hook: a partner service never redirects, and following it
    would send the body (the WS-Security password) elsewhere"""
    if response.is_redirect:
        raise TransportError(
            'client', False, f'HTTP {response.status_code} redirect')


def secure_session():
    "A requests session that follows no redirect"
    session = requests.Session()
    session.hooks['response'].append(refuse_redirect)
    return session


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
