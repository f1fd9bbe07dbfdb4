"""La Poste's SOAP service, for the tests and the benchmark: a WSGI app
built on werkzeug and lxml implementing laposte.wsdl, checking the
WS-Security UsernameToken and acting once per idempotency key."""
import pathlib
import time
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

from lxml import etree
from werkzeug.wrappers import Request, Response

from connector.tests.servers import Partner

NS = 'urn:sn:laposte:ess:v1'
SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
WSSE_NS = ('http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-wssecurity-secext-1.0.xsd')
USERNAME = 'ess-senum'
PASSWORD = 'poste-mot-de-passe-42'
CEILING = Decimal(2_000_000)  # the largest money order La Poste issues
ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:lp="{NS}">'
    '<soap:Body>{body}</soap:Body></soap:Envelope>')
# An entity-expansion ("billion laughs") answer that zeep must refuse
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:lp="{NS}"><soap:Body>'
    '<lp:TrackDeliveryResponse><lp:trackingNumber>&lol3;'
    '</lp:trackingNumber><lp:status>accepted</lp:status>'
    '</lp:TrackDeliveryResponse></soap:Body></soap:Envelope>')
WSDL = pathlib.Path(__file__).parent.parent / 'laposte.wsdl'
WSDL_ADDRESS = 'https://services.laposte.sn/ess/v1'
PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False)


def xml(tag, **children):
    return f'<lp:{tag}>' + ''.join(
        f'<lp:{k}>{escape(str(v))}</lp:{k}>' for k, v in children.items()
        ) + f'</lp:{tag}>'


def soap(body, status=200):
    return Response(
        ENVELOPE.format(body=body), status=status,
        content_type='text/xml; charset=utf-8')


def fault(code, text):
    "A SOAP fault; code is Client, Server or a WS-Security wsse: code"
    if ':' not in code:
        code = f'soap:{code}'
    return soap(
        f'<soap:Fault><faultcode xmlns:wsse="{WSSE_NS}">{code}</faultcode>'
        f'<faultstring>{escape(text)}</faultstring></soap:Fault>', 500)


class LaPosteService(Partner):
    """Failures of script: 'error' (HTTP 500 page), 'error_after' (acts,
    then HTTP 500), 'slow' (sleeps delay seconds), 'malformed' (broken
    XML), 'entities' (a billion-laughs answer), 'fault' (a SOAP fault)"""

    def __call__(self, environ, start_response):
        response = self.dispatch(Request(environ))
        return response(environ, start_response)

    def dispatch(self, request):
        if request.method == 'GET' and 'wsdl' in request.args:
            return self.wsdl(request)
        failure = self.failure()
        if failure == 'slow':
            time.sleep(self.delay)
        if failure == 'error':
            return Response('<h1>Internal Server Error</h1>', status=500)
        if failure == 'malformed':
            return Response(
                '<soap:Envelope><soap:Body><lp:Track', status=200,
                content_type='text/xml')
        if failure == 'entities':
            return Response(LAUGHS, status=200, content_type='text/xml')
        if failure == 'fault':
            return fault('Server', "Service momentanément indisponible")
        try:
            envelope = etree.fromstring(request.get_data(), PARSER)
        except etree.XMLSyntaxError:
            return fault('Client', "XML illisible")
        if not self.authenticated(envelope):
            return fault(
                'wsse:FailedAuthentication', "Authentification refusée")
        body = envelope.find(f'{{{SOAP_NS}}}Body')
        operation = body[0] if body is not None and len(body) else None
        name = etree.QName(operation).localname if operation is not None \
            else None
        handler = getattr(self, f'do_{name}', None)
        if handler is None:
            return fault('Client', f"Opération inconnue : {name}")
        values = {etree.QName(e).localname: e for e in operation}
        response = handler(values)
        if failure == 'error_after':
            return Response('<h1>Bad Gateway</h1>', status=502)
        return response

    def wsdl(self, request):
        "The service description, with this server as the address"
        text = WSDL.read_text(encoding='utf-8').replace(
            WSDL_ADDRESS, request.base_url)
        return Response(text, content_type='text/xml; charset=utf-8')

    def authenticated(self, envelope):
        token = envelope.find(
            f'.//{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken')
        if token is None:
            return False
        return (token.findtext(f'{{{WSSE_NS}}}Username') == USERNAME
            and token.findtext(f'{{{WSSE_NS}}}Password') == PASSWORD)

    def do_SubmitDelivery(self, values):
        key = values['idempotencyKey'].text
        answer = self.act(key, lambda n: f'LP{n:09d}SN')
        self.statuses.setdefault(answer, 'accepted')
        return soap(xml(
                'SubmitDeliveryResponse', trackingNumber=answer,
                status='accepted'))

    def do_IssueMoneyOrder(self, values):
        try:
            amount = Decimal(values['amount'].text)
        except (InvalidOperation, KeyError, TypeError):
            return fault('Client', "Montant invalide")
        if amount > CEILING:
            return fault(
                'Client', f"Montant supérieur au plafond de {CEILING} F CFA")
        key = values['idempotencyKey'].text
        answer = self.act(key, lambda n: f'MDT-{n:08d}')
        self.statuses.setdefault(answer, 'issued')
        return soap(xml(
                'IssueMoneyOrderResponse', orderReference=answer,
                status='issued'))

    def track(self, tag, name, reference):
        if reference not in self.statuses:
            return fault('Client', f"Référence inconnue : {reference}")
        return soap(xml(tag, **{
                    name: reference, 'status': self.statuses[reference]}))

    def do_TrackDelivery(self, values):
        return self.track(
            'TrackDeliveryResponse', 'trackingNumber',
            values['trackingNumber'].text)

    def do_TrackMoneyOrder(self, values):
        return self.track(
            'TrackMoneyOrderResponse', 'orderReference',
            values['orderReference'].text)
