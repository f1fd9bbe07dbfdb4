"""The X-Road REST client, with no database: our subsystem in the
X-Road-Client header, the partner's service in the path
(/r1/SN/GOV/MJUSTICE/CASIER/criminal-record/requests), a bearer token, JSON
bodies, a timeout on every call and the idempotency key in a header."""
import requests

from connector.transport import TransportError

OPERATIONS = {
    # operation: (method, path of the service)
    'submit': ('POST', 'requests'),
    'status': ('GET', 'requests/{reference}'),
    }


class XRoadClient:

    def __init__(self, url, client, service, token, timeout):
        self.base = f"{url.rstrip('/')}/r1/{service.strip('/')}"
        self.timeout = timeout
        self.session = requests.Session()
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
            raise TransportError('invalid', False, operation)
        if method == 'GET':
            return self.request(method, path.format(**payload))
        return self.request(
            method, path, json=payload,
            headers={'Idempotency-Key': idempotency_key})

    def request(self, method, path, **kwargs):
        try:
            response = self.session.request(
                method, f'{self.base}/{path}', timeout=self.timeout,
                **kwargs)
        except requests.Timeout as error:
            raise TransportError('timeout', True, type(error).__name__)
        except requests.RequestException as error:
            raise TransportError('connection', True, type(error).__name__)
        status = response.status_code
        if status >= 500 or status == 429:
            raise TransportError('server', True, f'HTTP {status}')
        if status >= 400:
            raise TransportError(
                'client', False, f'HTTP {status} {error_text(response)}')
        try:
            data = response.json()
        except ValueError:
            raise TransportError('malformed', True, f'HTTP {status}, JSON')
        if not isinstance(data, dict):
            raise TransportError('malformed', True, f'HTTP {status}, JSON')
        return data


def error_text(response):
    "The partner's own words on a refusal, when it gives them"
    try:
        return str(response.json().get('message', ''))
    except (ValueError, AttributeError):
        return ''
