"""Partner endpoints: where and how a connector reaches a partner system,
with the credentials that only network administrators read."""
import datetime as dt
import json
import logging

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval

from .exceptions import CallbackError, EndpointError
from .transport import CALLBACK_TOLERANCE, TransportError, check_signature

logger = logging.getLogger(__name__)


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
    url = fields.Char("URL", required=True)
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

    def get_callback_url(self, name):
        return f'/<database>/connector/callback/{self.id}'

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

    def get_client(self):
        "Return the client of the connector of this endpoint"
        method = getattr(self, f'get_client_{self.protocol}', None)
        if method is None:
            raise TransportError('configuration', False, self.rec_name)
        return method()

    @classmethod
    def receive_callback(cls, endpoint_id, timestamp, signed, body,
            now=None):
        """Apply a partner's signed status change once.

        Return True when the status was applied; raise CallbackError with
        the HTTP status of the refusal otherwise."""
        pool = Pool()
        Message = pool.get('connector.message')
        Event = pool.get('connector.callback.event')
        endpoint = cls.search([('id', '=', endpoint_id)], limit=1)
        if not endpoint or not endpoint[0].callback_secret:
            raise CallbackError(404, "unknown endpoint")
        endpoint, = endpoint
        if not check_signature(
                endpoint.callback_secret, timestamp or '', body, signed):
            logger.warning("callback to %s: wrong signature", endpoint.id)
            raise CallbackError(401, "wrong signature")
        now = now if now is not None else dt.datetime.now(dt.timezone.utc)
        try:
            sent = dt.datetime.fromtimestamp(int(timestamp), dt.timezone.utc)
        except (TypeError, ValueError, OverflowError):
            raise CallbackError(400, "malformed timestamp")
        if abs((now - sent).total_seconds()) > CALLBACK_TOLERANCE:
            logger.warning("callback to %s: stale timestamp", endpoint.id)
            raise CallbackError(401, "stale timestamp")
        try:
            data = json.loads(body)
            event_id = str(data['event_id'])
            status = str(data['status'])
        except (ValueError, TypeError, KeyError):
            raise CallbackError(400, "malformed body")
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
