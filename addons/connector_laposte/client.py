"""The La Poste SOAP client, with no database: zeep over the WSDL kept in
this addon, WS-Security UsernameToken (a password in clear, hence HTTPS
only and no redirect followed), a timeout on every call and XML answers
holding a DTD or entities refused."""
import functools
import io
import pathlib

import requests
import zeep
from zeep.exceptions import (
    DTDForbidden,
    EntitiesForbidden,
    Fault,
    XMLParseError,
    XMLSyntaxError,
)
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import TransportError as ZeepTransportError
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from connector.transport import (
    TransportError,
    request_error,
    require_secure_url,
    secure_session,
)

WSDL = pathlib.Path(__file__).with_name('laposte.wsdl')
BINDING = '{urn:sn:laposte:ess:v1}LaPosteBinding'
# operation: (SOAP operation, element of the reference in the answer)
OPERATIONS = {
    'submit_delivery': ('SubmitDelivery', 'trackingNumber'),
    'issue_money_order': ('IssueMoneyOrder', 'orderReference'),
    'track_delivery': ('TrackDelivery', 'trackingNumber'),
    'track_money_order': ('TrackMoneyOrder', 'orderReference'),
    }
# The operations that change something at La Poste carry the key
KEYED = {'submit_delivery', 'issue_money_order'}
# The WS-Security faults of a refused UsernameToken (OASIS WSS 1.1, 12)
AUTHENTICATION_FAULTS = {'FailedAuthentication', 'InvalidSecurityToken'}
# Tracked by the test of the connection: no parcel has it, so La Poste
# answers with a fault once it has accepted our credentials
PROBE_REFERENCE = 'ESS-TEST-CONNEXION'


class CheckedTransport(Transport):
    "Tell a server's error page from a SOAP fault, which is XML"

    def post(self, address, message, headers):
        response = super().post(address, message, headers)
        status = response.status_code
        if status >= 400 and 'xml' not in response.headers.get(
                'Content-Type', ''):
            raise http_error(status)
        return response


def http_error(status):
    "The TransportError of an HTTP error status"
    if status >= 500 or status == 429:
        return TransportError('server', True, f'HTTP {status}')
    if status in {401, 403}:
        return TransportError('credentials', False, f'HTTP {status}')
    return TransportError('client', False, f'HTTP {status}')


def is_authentication_fault(fault):
    "Whether La Poste refused the WS-Security token"
    code = (fault.code or '').rsplit(':', 1)[-1].rsplit('}', 1)[-1]
    return code in AUTHENTICATION_FAULTS


def settings():
    return zeep.Settings(
        strict=True, forbid_dtd=True, forbid_entities=True,
        forbid_external=True, xml_huge_tree=False)


@functools.lru_cache(maxsize=1)
def wsdl_document():
    "The parsed WSDL, read once per process"
    return zeep.wsdl.Document(
        str(WSDL), Transport(), settings=settings())


class LaPosteClient:

    def __init__(self, url, username, password, timeout):
        require_secure_url(url)
        self.url = url
        self.timeout = timeout
        self.session = secure_session()
        self.transport = CheckedTransport(
            session=self.session, timeout=timeout, operation_timeout=timeout)
        self.client = zeep.Client(
            wsdl_document(), transport=self.transport, settings=settings(),
            wsse=UsernameToken(username, password) if username else None)
        self.service = self.client.create_service(BINDING, url)

    def check(self):
        """Test the connection without changing anything at La Poste: read
        the WSDL the service publishes (it must still offer our binding
        and operations), then track a parcel nobody sent, which La Poste
        answers only to an authenticated caller"""
        self.check_wsdl()
        try:
            self.invoke('TrackDelivery', {'trackingNumber': PROBE_REFERENCE})
        except TransportError as error:
            # Any other fault is La Poste's answer to an authenticated call
            if error.code != 'fault':
                raise

    def check_wsdl(self):
        "Raise a TransportError unless the published WSDL offers our calls"
        try:
            response = self.session.get(
                self.url, params={'wsdl': ''}, timeout=self.timeout)
        except requests.RequestException as error:
            raise request_error(error) from error
        if response.status_code >= 400:
            error = http_error(response.status_code)
            if error.code == 'client':
                error = TransportError('wsdl', False, error.detail)
            raise error
        try:
            document = zeep.wsdl.Document(
                io.BytesIO(response.content), self.transport,
                base=self.url, settings=settings())
            binding = document.bindings[BINDING]
            for name, _ in OPERATIONS.values():
                binding.get(name)
        except (DTDForbidden, EntitiesForbidden) as error:
            raise TransportError(
                'forbidden', False, type(error).__name__) from error
        except KeyError:
            raise TransportError(
                'wsdl', False, BINDING.split('}')[-1]) from None
        except (XMLSyntaxError, XMLParseError, ZeepError, ValueError,
                TypeError) as error:
            raise TransportError(
                'wsdl', False, str(error) or type(error).__name__) from error

    def call(self, operation, payload, idempotency_key):
        try:
            name, reference = OPERATIONS[operation]
        except KeyError:
            raise TransportError('invalid', False, operation) from None
        if operation in KEYED:
            payload = {'idempotencyKey': idempotency_key, **payload}
        result = self.invoke(name, payload)
        return {
            'reference': getattr(result, reference, None),
            'status': getattr(result, 'status', None),
            }

    def invoke(self, name, payload):
        "Call the operation; raise every failure as a TransportError"
        try:
            return getattr(self.service, name)(**payload)
        except Fault as fault:
            if is_authentication_fault(fault):
                raise TransportError(
                    'credentials', False, fault.message) from fault
            raise TransportError('fault', False, fault.message) from fault
        except requests.RequestException as error:
            raise request_error(error) from error
        except (DTDForbidden, EntitiesForbidden) as error:
            raise TransportError(
                'forbidden', False, type(error).__name__) from error
        except ZeepTransportError as error:
            # zeep could not read the answer as SOAP
            status = error.status_code
            raise TransportError(
                'malformed', status < 400 or status >= 500,
                f'HTTP {status}') from error
        except (XMLSyntaxError, XMLParseError) as error:
            raise TransportError('malformed', True, f'XML: {error}') from error
        except (ZeepError, TypeError, ValueError) as error:
            raise TransportError('invalid', False, str(error)) from error
