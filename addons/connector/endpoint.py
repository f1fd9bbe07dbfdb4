"""Partner endpoints: where and how a connector reaches a partner system,
with the credentials that only network administrators read."""
import datetime as dt
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict

from sql import Literal

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from service_network.protection import check_user_groups, wizard_label

from .exceptions import CallbackError, EndpointError
from .transport import (
    CALLBACK_TOLERANCE,
    TransportError,
    check_signature,
    is_secure_url,
    require_secure_url,
    scrub,
)

logger = logging.getLogger(__name__)

# Checked against the signature of callbacks to an unknown endpoint, so that
# they take the time of a wrong signature to a known one
DUMMY_CALLBACK_SECRET = secrets.token_hex(32)
# The largest id the database stores (PostgreSQL integer)
MAX_ID = 2 ** 31 - 1
# Clients kept per thread: building a zeep client costs more than a call,
# and a kept requests session reuses its connection (keep-alive)
CLIENT_CACHE_SIZE = 32
_clients = threading.local()


def _client_cache():
    "This thread's clients: {(database, endpoint id): (dates, client)}"
    cache = getattr(_clients, 'cache', None)
    if cache is None:
        cache = _clients.cache = OrderedDict()
    return cache


class Endpoint(DeactivableMixin, ModelSQL, ModelView):
    "Connector Endpoint"
    __name__ = 'connector.endpoint'
    name = fields.Char("Name", required=True)
    partner = fields.Many2One(
        'party.party', "Partner", required=True, ondelete='RESTRICT',
        domain=[('partner_kind', '!=', None)])
    protocol = fields.Selection([
            (None, ""),
            ], "Protocol",
        help="The connector that speaks to this endpoint.")
    kind = fields.Selection([
            ('soap', "SOAP"),
            ('rest', "REST"),
            ], "Kind", required=True)
    environment = fields.Selection([
            ('test', "Test"),
            ('production', "Production"),
            ], "Environment", required=True,
        help="Production endpoints are used before test ones.")
    url = fields.Char(
        "URL", required=True,
        help="HTTPS only: plain HTTP is accepted for this machine only "
        "(127.0.0.1, localhost, ::1).")
    username = fields.Char("Username")
    secret = fields.Char(
        "Secret", strip=False,
        help="The password or token the partner gave us.")
    callback_secret = fields.Char(
        "Callback Secret", strip=False,
        help="The key the partner signs its callbacks with (HMAC-SHA256).")
    timeout = fields.Float(
        "Timeout", required=True,
        domain=[('timeout', '>', 0)],
        help="Seconds to wait for each call.")
    max_attempts = fields.Integer(
        "Maximum Attempts", required=True,
        domain=[('max_attempts', '>', 0)],
        help="After this number of failed attempts a message is dead.")
    retry_delay = fields.Float(
        "Retry Delay", required=True,
        domain=[('retry_delay', '>=', 0)],
        help="Seconds before the second attempt; it doubles at each "
        "attempt, with a random part.")
    callback_url = fields.Function(
        fields.Char("Callback URL"), 'get_callback_url')
    messages = fields.One2Many(
        'connector.message', 'endpoint', "Messages", readonly=True,
        states={'invisible': Eval('id', -1) < 0})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # on a new endpoint too: the web client saves it before testing
        cls._buttons.update({
                'test_connection': {},
                })

    @classmethod
    def default_kind(cls):
        return 'rest'

    @classmethod
    def default_environment(cls):
        return 'test'

    @classmethod
    def default_timeout(cls):
        return 10.0

    @classmethod
    def default_max_attempts(cls):
        return 8

    @classmethod
    def default_retry_delay(cls):
        return 60.0

    @fields.depends('protocol')
    def on_change_protocol(self):
        "Connector addons set the kind their protocol speaks"

    @classmethod
    def validate_fields(cls, endpoints, field_names):
        super().validate_fields(endpoints, field_names)
        if field_names is None or 'url' in field_names:
            for endpoint in endpoints:
                endpoint.check_url()

    def check_url(self):
        "The credentials and citizens' data never travel in clear"
        if not is_secure_url(self.url):
            raise ValidationError(gettext(
                    'connector.msg_endpoint_url_insecure',
                    endpoint=self.rec_name, url=self.url))

    def get_callback_url(self, name):
        return f'/<database>/connector/callback/{self.id}'

    @classmethod
    def operation_labels(cls):
        """The operations of the connectors' messages, as people read them:
        {code: label}; each connector adds its own"""
        return {}

    @classmethod
    def for_partner(cls, partner, protocol):
        "Return the active endpoint of partner for protocol, production first"
        endpoints = cls.search([
                ('partner', '=', partner.id),
                ('protocol', '=', protocol),
                ], order=[('environment', 'ASC'), ('id', 'ASC')])
        production = [e for e in endpoints if e.environment == 'production']
        endpoints = production or endpoints
        if not endpoints:
            raise EndpointError(gettext(
                    'connector.msg_endpoint_missing',
                    partner=partner.rec_name, protocol=protocol))
        return endpoints[0]

    @property
    def secrets(self):
        "The values that must never reach a log or an error message"
        return [self.secret, self.callback_secret]

    def cached_client(self):
        """Return the client of this endpoint kept by this process (and
        thread): built again once the endpoint is modified (its write date
        changes), and dropped at once when this process modifies it"""
        cache = _client_cache()
        key = (Transaction().database.name, self.id)
        version = (self.create_date, self.write_date)
        kept = cache.get(key)
        if kept is not None and kept[0] == version:
            cache.move_to_end(key)
            return kept[1]
        client = self.get_client()
        cache[key] = (version, client)
        while len(cache) > CLIENT_CACHE_SIZE:
            cache.popitem(last=False)
        return client

    @classmethod
    def on_modification(cls, mode, endpoints, field_names=None):
        super().on_modification(mode, endpoints, field_names=field_names)
        if mode in {'write', 'delete'}:
            cache = _client_cache()
            name = Transaction().database.name
            for endpoint in endpoints:
                cache.pop((name, endpoint.id), None)

    def get_client(self):
        "Return a new client of the connector of this endpoint"
        # Also for a URL stored before it was validated
        require_secure_url(self.url)
        method = getattr(self, f'get_client_{self.protocol}', None)
        if method is None:
            raise TransportError('configuration', False, self.rec_name)
        return method()

    @classmethod
    @ModelView.button_action('connector.wizard_endpoint_test')
    def test_connection(cls, endpoints):
        "Open the test wizard, which tells how the partner answered"
        pass

    def check_connection(self):
        """Make one harmless call to the partner with the endpoint's URL,
        credentials and timeout; return whether it worked and the outcome
        in the user's words (the response time, or why it failed).

        Nothing is stored: a test sends no message and changes nothing at
        the partner."""
        start = time.monotonic()
        try:
            client = self.get_client()
            check = getattr(client, 'check', None)
            if check is None:
                raise TransportError('configuration', False, self.rec_name)
            check()
        except TransportError as error:
            logger.info("test of endpoint %s: %s", self.id,
                scrub(str(error), self.secrets))
            return False, gettext(
                'connector.msg_endpoint_test_failed',
                endpoint=self.rec_name, error=gettext(
                    f'connector.msg_test_{error.code}',
                    timeout=self.timeout,
                    detail=scrub(error.detail, self.secrets)))
        elapsed = round((time.monotonic() - start) * 1000)
        return True, gettext(
            'connector.msg_endpoint_test_succeeded',
            endpoint=self.rec_name, ms=elapsed)

    @classmethod
    def receive_callback(cls, endpoint_id, timestamp, signed, body,
            now=None):
        """Apply a partner's signed status change once.

        Return True when the status was applied; raise CallbackError with
        the HTTP status of the refusal otherwise. An unknown endpoint is
        refused as a wrong signature, in about the same time, so that
        nobody learns which endpoints exist without their secret."""
        pool = Pool()
        Message = pool.get('connector.message')
        Event = pool.get('connector.callback.event')
        secret = cls._callback_secret(endpoint_id)
        if not check_signature(
                secret or DUMMY_CALLBACK_SECRET, timestamp or '', body,
                signed) or not secret:
            logger.warning("callback to %s: %s", endpoint_id,
                "wrong signature" if secret else "unknown endpoint")
            raise CallbackError(401, "wrong signature")
        endpoint = cls(endpoint_id)
        now = now if now is not None else dt.datetime.now(dt.timezone.utc)
        try:
            sent = dt.datetime.fromtimestamp(int(timestamp), dt.timezone.utc)
        except (TypeError, ValueError, OverflowError):
            raise CallbackError(400, "malformed timestamp") from None
        if abs((now - sent).total_seconds()) > CALLBACK_TOLERANCE:
            logger.warning("callback to %s: stale timestamp", endpoint.id)
            raise CallbackError(401, "stale timestamp")
        try:
            data = json.loads(body)
            event_id = str(data['event_id'])
            status = str(data['status'])
        except (ValueError, TypeError, KeyError):
            raise CallbackError(400, "malformed body") from None
        if Event.search([
                    ('endpoint', '=', endpoint.id),
                    ('event_id', '=', event_id),
                    ], limit=1):
            logger.info("callback to %s: replay of %s", endpoint.id, event_id)
            raise CallbackError(409, "event already received")
        message = Message.find(
            endpoint, data.get('idempotency_key'), data.get('reference'))
        if not message:
            raise CallbackError(404, "unknown message")
        Event.create([{
                    'endpoint': endpoint.id,
                    'event_id': event_id,
                    'status': status[:64],
                    'message': message.id,
                    }])
        Message.apply_statuses([(message, status, data)])
        return True

    @classmethod
    def _callback_secret(cls, endpoint_id):
        """The callback secret of the active endpoint, or None.

        One query whether the endpoint exists or not: the ORM would read
        the record only when it exists, which takes measurably longer."""
        if not 0 < endpoint_id <= MAX_ID:
            return None
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.callback_secret,
                where=(table.id == endpoint_id)
                & (table.active == Literal(True)),
                limit=1))
        row = cursor.fetchone()
        return row[0] if row else None


class EndpointTestResult(ModelView):
    "Connector Endpoint Test Result"
    __name__ = 'connector.endpoint.test.result'
    result = fields.Text("Result", readonly=True)


class EndpointTest(Wizard):
    "Test the connection of an endpoint"
    __name__ = 'connector.endpoint.test'
    start = StateTransition()
    result = StateView('connector.endpoint.test.result',
        'connector.endpoint_test_result_view_form', [
            Button("Close", 'end', 'tryton-ok', default=True),
            ])

    def transition_start(self):
        check_user_groups(
            ['group_network_admin'], wizard_label(self.__name__))
        self.result.result = '\n'.join(
            e.check_connection()[1] for e in self.records)
        return 'result'

    def default_result(self, fields):
        return {'result': self.result.result}
