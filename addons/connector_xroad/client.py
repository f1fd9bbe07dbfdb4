"""The X-Road REST client, with no database: our subsystem in the
X-Road-Client header, the partner's service in the path
(/r1/SN/GOV/MJUSTICE/CASIER/criminal-record/requests), a bearer token, JSON
bodies, a timeout on every call and the idempotency key in a header. The
token travels over HTTPS only and follows no redirect."""
import requests

from connector.transport import (
    TransportError,
    request_error,
    require_secure_url,
    secure_session,
)

OPERATIONS = {
    # operation: (method, path of the service)
    'submit': ('POST', 'requests'),
    'status': ('GET', 'requests/{reference}'),
    }


class XRoadClient:

    def __init__(self, url, client, service, token, timeout):
        require_secure_url(url)
        self.root = f"{url.rstrip('/')}/r1"
        self.service = service.strip('/')
        self.base = f'{self.root}/{self.service}'
        self.timeout = timeout
        self.session = secure_session()
        self.session.headers.update({
                'X-Road-Client': client,
                'Accept': 'application/json',
                })
        if token:
            self.session.headers['Authorization'] = f'Bearer {token}'

    def call(self, operation, payload, idempotency_key):
        try:
            method, path = OPERATIONS[operation]
        except KeyError:
            raise TransportError('invalid', False, operation) from None
        if method == 'GET':
            return self.request(method, path.format(**payload))
        return self.request(
            method, path, json=payload,
            headers={'Idempotency-Key': idempotency_key})

    def check(self):
        """Test the connection without changing anything at the ministry:
        ask X-Road for the services of the partner's subsystem
        (the listMethods metadata service), which must list ours"""
        provider, code = self.service.rsplit('/', 1)
        data = self.request(
            'GET', 'listMethods', base=f'{self.root}/{provider}')
        services = data.get('service')
        if not isinstance(services, list):
            raise TransportError('malformed', True, 'listMethods')
        if not any(isinstance(s, dict) and s.get('service_code') == code
                for s in services):
            raise TransportError('service', False, self.service)

    def request(self, method, path, base=None, **kwargs):
        try:
            response = self.session.request(
                method, f'{base or self.base}/{path}', timeout=self.timeout,
                **kwargs)
        except requests.RequestException as error:
            raise request_error(error) from error
        status = response.status_code
        if status >= 500 or status == 429:
            raise TransportError('server', True, f'HTTP {status}')
        if status in {401, 403}:
            raise TransportError(
                'credentials', False,
                f'HTTP {status} {error_text(response)}'.strip())
        if status >= 400:
            raise TransportError(
                'client', False, f'HTTP {status} {error_text(response)}')
        try:
            data = response.json()
        except ValueError:
            raise TransportError(
                'malformed', True, f'HTTP {status}, JSON') from None
        if not isinstance(data, dict):
            raise TransportError('malformed', True, f'HTTP {status}, JSON')
        return data


def error_text(response):
    "The partner's own words on a refusal, when it gives them"
    try:
        return str(response.json().get('message', ''))
    except (ValueError, AttributeError):
        return ''
