"""The La Poste SOAP client, with no database: zeep over the WSDL kept in
this addon, WS-Security UsernameToken, a timeout on every call and XML
answers holding a DTD or entities refused."""
import functools
import pathlib

import requests
import zeep
from zeep.exceptions import (
    DTDForbidden, EntitiesForbidden, Fault, XMLParseError, XMLSyntaxError)
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import TransportError as ZeepTransportError
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from connector.transport import TransportError

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


class CheckedTransport(Transport):
    "Tell a server's error page from a SOAP fault, which is XML"

    def post(self, address, message, headers):
        response = super().post(address, message, headers)
        status = response.status_code
        if status >= 400 and 'xml' not in response.headers.get(
                'Content-Type', ''):
            if status >= 500 or status == 429:
                raise TransportError('server', True, f'HTTP {status}')
            raise TransportError('client', False, f'HTTP {status}')
        return response


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
        session = requests.Session()
        transport = CheckedTransport(
            session=session, timeout=timeout, operation_timeout=timeout)
        self.client = zeep.Client(
            wsdl_document(), transport=transport, settings=settings(),
            wsse=UsernameToken(username, password) if username else None)
        self.service = self.client.create_service(BINDING, url)

    def call(self, operation, payload, idempotency_key):
        try:
            name, reference = OPERATIONS[operation]
        except KeyError:
            raise TransportError('invalid', False, operation)
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
            raise TransportError('fault', False, fault.message)
        except requests.Timeout as error:
            raise TransportError('timeout', True, type(error).__name__)
        except requests.RequestException as error:
            raise TransportError('connection', True, type(error).__name__)
        except (DTDForbidden, EntitiesForbidden) as error:
            raise TransportError('forbidden', False, type(error).__name__)
        except ZeepTransportError as error:
            # zeep could not read the answer as SOAP
            status = error.status_code
            raise TransportError(
                'malformed', status < 400 or status >= 500, f'HTTP {status}')
        except (XMLSyntaxError, XMLParseError) as error:
            raise TransportError('malformed', True, f'XML: {error}')
        except (ZeepError, TypeError, ValueError) as error:
            raise TransportError('invalid', False, str(error))
