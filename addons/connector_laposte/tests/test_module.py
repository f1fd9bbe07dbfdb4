from decimal import Decimal

from werkzeug.wrappers import Response

from trytond.i18n import gettext
from trytond.modules.company.tests import CompanyTestMixin
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from connector.tests.servers import LocalServer, closed_port, signed_callback
from connector_laposte.tests.servers import (
    LAUGHS,
    PASSWORD,
    USERNAME,
    WSDL,
    LaPosteService,
)

CALLBACK_SECRET = 'rappel-poste-0b7e'


def ref(xml_id, module='service_network'):
    return Pool().get('ir.model.data').get_id(module, xml_id)


def setup_laposte(url, **values):
    "La Poste reached over SOAP at url; return its endpoint"
    pool = Pool()
    Party = pool.get('party.party')
    Endpoint = pool.get('connector.endpoint')
    laposte = Party(ref('party_laposte'))
    laposte.transmission = 'laposte'
    laposte.save()
    endpoint, = Endpoint.create([{
                'name': "La Poste (test)", 'partner': laposte.id,
                'protocol': 'laposte', 'kind': 'soap', 'url': f'{url}/ess',
                'username': USERNAME, 'secret': PASSWORD,
                'callback_secret': CALLBACK_SECRET, 'timeout': 2,
                'retry_delay': 0, **values}])
    return endpoint


def transmitted_case(**values):
    "A paid money-order case, transmitted"
    pool = Pool()
    Party = pool.get('party.party')
    Case = pool.get('case.case')
    citizen, = Party.create([{'name': "Moussa Ndiaye"}])
    case, = Case.create([{
                'site': ref('site_zig'), 'citizen': citizen.id,
                'procedure': ref('procedure_money_order'),
                'phone': '77 123 45 67',
                'money_order_amount': Decimal(50000),
                'beneficiary_name': "Awa Ndiaye",
                'beneficiary_city': "Kaolack", **values}])
    for document in case.documents:
        document.provided = True
    case.documents = case.documents
    case.payment_method = 'cash'
    case.save()
    Case.submit([case])
    Case.collect([case])
    Case.transmit([case])
    return case


class StaticApp:
    "A server answering the same XML to every request"

    def __init__(self, text):
        self.text = text

    def __call__(self, environ, start_response):
        response = Response(self.text, content_type='text/xml')
        return response(environ, start_response)


class ConnectorLaPosteTestCase(CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Connector La Poste module"
    module = 'connector_laposte'

    @with_transaction()
    def test_money_order_tracked_to_paid(self):
        "A money order is issued over SOAP and tracked until paid"
        pool = Pool()
        Message = pool.get('connector.message')
        Case = pool.get('case.case')
        laposte = LaPosteService()
        with LocalServer(laposte) as server:
            setup_laposte(server.url)
            case = transmitted_case()
            self.assertTrue(case.laposte)
            message, = Message.search([])
            self.assertEqual(message.operation, 'issue_money_order')
            # people read the operation, not its code, and search by it
            label = gettext(
                'connector_laposte.msg_operation_issue_money_order')
            self.assertEqual(message.operation_string, label)
            self.assertNotEqual(label, message.operation)
            self.assertEqual(Message.search([
                        ('operation_string', 'ilike', f'%{label[1:-1]}%'),
                        ]), [message])
            self.assertEqual(Message.search([
                        ('operation_string', 'not ilike', f'%{label}%'),
                        ]), [])
            self.assertEqual(message.payload['amount'], 50000)
            self.assertEqual(message.payload['fees'], 1000)
            Message.send([message])
            self.assertEqual(message.state, 'acknowledged')
            self.assertEqual(case.laposte_reference, 'MDT-00000001')
            self.assertEqual(case.laposte_status, 'issued')
            self.assertEqual(case.state, 'at_partner')

            Case.laposte_track()
            self.assertEqual(case.state, 'at_partner')
            laposte.statuses['MDT-00000001'] = 'paid'
            Case.laposte_track()
            self.assertEqual(case.laposte_status, 'paid')
            self.assertEqual(case.state, 'ready')
            Case.laposte_track()
            self.assertEqual(
                [h.to_state for h in case.history].count('ready'), 1)
        self.assertEqual(laposte.processed, {message.idempotency_key: 1})

    @with_transaction()
    def test_delivery_pushed(self):
        "A document delivered by La Poste, pushed by its callback"
        pool = Pool()
        Message = pool.get('connector.message')
        Endpoint = pool.get('connector.endpoint')
        with LocalServer(LaPosteService()) as server:
            endpoint = setup_laposte(server.url)
            case = transmitted_case(
                money_order_amount=None, delivery_street="Rue 10",
                delivery_city="Ziguinchor")
            message, = Message.search([])
            self.assertEqual(message.operation, 'submit_delivery')
            Message.send([message])
        self.assertEqual(message.partner_reference, 'LP000000001SN')
        headers, body = signed_callback(CALLBACK_SECRET, {
                'event_id': 'lp-1', 'status': 'delivered',
                'reference': 'LP000000001SN'})
        Endpoint.receive_callback(
            endpoint.id, headers['X-Connector-Timestamp'],
            headers['X-Connector-Signature'], body)
        self.assertEqual(case.state, 'delivered')
        self.assertEqual(case.laposte_status, 'delivered')

    @with_transaction()
    def test_soap_failures(self):
        "Faults and hostile XML are final; 500s, timeouts, broken XML retry"
        pool = Pool()
        Message = pool.get('connector.message')
        laposte = LaPosteService(delay=1.5)
        with LocalServer(laposte) as server:
            endpoint = setup_laposte(server.url, timeout=0.3)
            case = transmitted_case()
            message, = Message.search([])
            for failure, state, words in [
                    ('error', 'failed', 'HTTP 500'),
                    ('slow', 'failed', '0.3'),
                    ('malformed', 'failed', 'HTTP 200'),
                    ('error_after', 'failed', 'HTTP 502'),
                    ('entities', 'dead', 'DTD'),
                    ]:
                laposte.script = [failure]
                Message.retry_messages([message])
                Message.send([message])
                self.assertEqual(message.state, state, failure)
                self.assertIn(words, message.last_error, failure)
                self.assertNotIn(PASSWORD, message.last_error)
            laposte.script = ['fault']
            Message.retry_messages([message])
            Message.send([message])
            self.assertEqual(message.state, 'dead')
            self.assertIn('momentanément', message.last_error)
            Message.retry_messages([message])
            Message.send([message])
            self.assertEqual(message.state, 'acknowledged')
            self.assertEqual(laposte.processed, {message.idempotency_key: 1})

            # Above La Poste's ceiling: refused with its reason, no retry
            transmitted_case(money_order_amount=Decimal(5_000_000))
            big, = Message.search([('state', '=', 'pending')])
            Message.send([big])
            self.assertEqual(big.state, 'dead')
            self.assertIn('plafond', big.last_error)

            # A wrong password is a fault: final
            endpoint.secret = 'faux'
            endpoint.save()
            Message.retry_messages([big])
            Message.send([big])
            self.assertIn('Authentification', big.last_error)
            self.assertEqual(case.state, 'at_partner')
        endpoint.url = f'http://127.0.0.1:{closed_port()}/ess'
        endpoint.secret = PASSWORD
        endpoint.save()
        Message.retry_messages([big])
        Message.send([big])
        self.assertEqual(big.state, 'failed')
        self.assertIn('connection', big.last_error)

    @with_transaction()
    def test_check_connection(self):
        "Testing the connection calls La Poste once and stores nothing"
        pool = Pool()
        Message = pool.get('connector.message')
        Endpoint = pool.get('connector.endpoint')
        laposte = LaPosteService(delay=1.5)
        with LocalServer(laposte) as server:
            endpoint = setup_laposte(server.url)
            ok, text = endpoint.check_connection()
            self.assertTrue(ok, text)
            self.assertRegex(text, r'answered in \d+ ms')

            endpoint.secret = 'faux-mot-de-passe'
            endpoint.save()
            ok, text = endpoint.check_connection()
            self.assertFalse(ok)
            self.assertIn('refused the credentials', text)
            self.assertIn('Authentification refusée', text)
            self.assertNotIn('faux-mot-de-passe', text)

            endpoint.secret = PASSWORD
            endpoint.timeout = 0.3
            endpoint.save()
            laposte.script = ['slow']
            ok, text = endpoint.check_connection()
            self.assertFalse(ok)
            self.assertIn('within 0.3 seconds', text)

            # https to a server speaking plain HTTP: TLS fails
            endpoint.url = server.url.replace('http:', 'https:') + '/ess'
            endpoint.save()
            ok, text = endpoint.check_connection()
            self.assertFalse(ok)
            self.assertIn('(TLS)', text)
        self.assertEqual(laposte.processed, {})

        endpoint.url = f'http://127.0.0.1:{closed_port()}/ess'
        endpoint.save()
        ok, text = endpoint.check_connection()
        self.assertFalse(ok)
        self.assertIn('cannot be reached', text)

        # A URL stored before the rule: nothing leaves in clear
        table = Endpoint.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.url], ['http://poste.example.sn/ess'],
                where=table.id == endpoint.id))
        for cache in Transaction().cache.values():
            cache.clear()
        ok, text = Endpoint(endpoint.id).check_connection()
        self.assertFalse(ok)
        self.assertIn('no call was made', text)
        self.assertEqual(Message.search([]), [])

    @with_transaction()
    def test_check_connection_bad_wsdl(self):
        "A WSDL that no longer offers our binding, or no WSDL, is named"
        for answer, words in [
                (WSDL.read_text().replace('LaPosteBinding', 'Autre'),
                    'LaPosteBinding'),
                ('<html>Bienvenue</html>', 'WSDL'),
                (LAUGHS, 'DTD'),
                ]:
            with self.subTest(words=words), \
                    LocalServer(StaticApp(answer)) as server:
                endpoint = setup_laposte(server.url)
                ok, text = endpoint.check_connection()
                self.assertFalse(ok)
                self.assertIn(words, text)
                endpoint.active = False
                endpoint.save()
