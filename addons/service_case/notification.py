"""The outbox of the messages sent to citizens when their case is
submitted, ready and delivered.

Notifications are written in the transaction of the transition, so a
rolled-back transition sends nothing; a scheduled task sends them, retries
temporary failures with a doubling delay and leaves the others failed and
visible for a person to retry.
"""
import datetime as dt
import logging

from sql import Null

from trytond import config as tconfig
from trytond.i18n import gettext
from trytond.model import (
    Check,
    Index,
    ModelSQL,
    ModelView,
    Workflow,
    fields,
)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from service_network.protection import ReadonlyGuardMixin

from .sender import SendError, get_sender
from .sms import SMS_LENGTH, gsm_length, to_gsm

logger = logging.getLogger(__name__)

EVENTS = [
    ('submitted', "Submitted"),
    ('ready', "Ready"),
    ('delivered', "Delivered"),
    ]
# The messages of a queue ticket taken from a phone (no case yet)
TICKET_EVENTS = [
    ('queue_joined', "Joined the Queue"),
    ('queue_ahead', "Turn Coming"),
    ('queue_requeued', "Called Again Later"),
    ]
# The messages of an appointment
APPOINTMENT_EVENTS = [
    ('appointment_code', "Confirmation Code"),
    ('appointment_booked', "Appointment Booked"),
    ('appointment_reminder', "Appointment Reminder"),
    ('appointment_cancelled', "Appointment Cancelled"),
    ('appointment_moved', "Appointment Moved"),
    ]
SEND_BATCH = 500
# The length of the cases' rating tokens (secrets.token_urlsafe(12))
RATING_TOKEN_LENGTH = 16


class _Variables(dict):
    """Template variables: an unknown placeholder prints nothing; read
    holds the names the template used"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __missing__(self, key):
        return ''


def render(template, variables):
    return template % _Variables(variables)


# A procedure name shortened to fit an SMS keeps at least these characters
PROCEDURE_MIN = 20


def fit_sms(template, variables):
    """The SMS of template, in the GSM alphabet, with the procedure name
    shortened ("...") when that makes it fit one SMS"""
    text = to_gsm(render(template, variables))
    procedure = to_gsm(variables.get('procedure') or '')
    count = template.count('%(procedure)s')
    excess = gsm_length(text) - SMS_LENGTH
    if excess <= 0 or not count:
        return text
    keep = len(procedure) - -(-excess // count) - len('...')
    while keep >= PROCEDURE_MIN:
        short = to_gsm(render(template, {
                    **variables,
                    'procedure': procedure[:keep].rstrip(' ,;(-') + '...',
                    }))
        if gsm_length(short) <= SMS_LENGTH:
            return short
        keep -= 1
    # rather two SMS than a name cut to nothing
    return text


class Notification(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Notification to a citizen"
    __name__ = 'case.notification'
    case = fields.Many2One(
        'case.case', "Case", ondelete='CASCADE', readonly=True,
        states={'invisible': ~Eval('case')})
    ticket = fields.Many2One(
        'case.ticket', "Ticket", ondelete='CASCADE', readonly=True,
        states={'invisible': ~Eval('ticket')})
    appointment = fields.Many2One(
        'case.appointment', "Appointment", ondelete='CASCADE', readonly=True,
        states={'invisible': ~Eval('appointment')})
    event = fields.Selection(
        EVENTS + TICKET_EVENTS + APPOINTMENT_EVENTS, "Event", required=True,
        readonly=True)
    event_string = event.translated('event')
    channel = fields.Selection([
            ('sms', "SMS"),
            ('email', "Email"),
            ], "Channel", required=True, readonly=True)
    recipient = fields.Char("Recipient", required=True, readonly=True)
    text = fields.Text("Text", required=True, readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    sent_at = fields.DateTime("Sent at", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # shown to the second, like the other times people read
        cls.create_date.format = '%H:%M:%S'
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.state, Index.Equality(cardinality='low')),
                (t.next_attempt, Index.Range()),
                where=t.state == 'pending'))
        cls._order.insert(0, ('create_date', 'DESC'))
        cls._sql_constraints.append(('source_set',
                Check(t, (t.case != Null) | (t.ticket != Null)
                    | (t.appointment != Null)),
                'service_case.msg_notification_case_or_ticket'))
        cls._sql_indexes.add(Index(t, (t.appointment, Index.Range()),
                where=t.appointment != Null))
        cls._transitions |= {
            ('pending', 'sent'),
            ('pending', 'failed'),
            ('failed', 'pending'),
            }
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        table_h = cls.__table_handler__(module)
        # replaced by source_set, which allows an appointment
        table_h.drop_constraint('case_or_ticket')

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def notify(cls, cases, event):
        "Queue the message of event for each case, by SMS and email"
        pool = Pool()
        Configuration = pool.get('case.configuration')
        config = Configuration(1)
        notifications = []
        for case in cases:
            recipients = [('sms', case.phone), ('email', case.citizen.email)]
            for channel, recipient in recipients:
                if not recipient:
                    continue
                text, error = cls.compose(case, event, channel, config)
                notification = cls(
                    case=case, event=event, channel=channel,
                    recipient=recipient, text=text)
                if error:
                    # Nothing is sent that the citizen cannot use: the
                    # error waits for a person, Retry composes it again
                    notification.state = 'failed'
                    notification.last_error = error
                    logger.warning(
                        "notification of case %s not sent: %s",
                        case.number, error)
                notifications.append(notification)
        cls.save(notifications)
        return notifications

    @classmethod
    def compose(cls, case, event, channel, config):
        """Return the text of the message of event to the citizen of case
        by channel, and the error that prevents sending it (or None)

        An SMS is written in the GSM alphabet, its procedure name shortened
        if needed, to fit one SMS."""
        template = cls.template(case, event, config)
        variables = cls.variables(case, config)
        used = _Variables(variables)
        text = template % used
        error = None
        if 'link' in used.read and not variables['link']:
            error = gettext('service_case.msg_notification_no_public_url')
        if channel == 'sms':
            text = fit_sms(template, variables)
        return text, error

    @classmethod
    def template(cls, case, event, config):
        "The text of event with its placeholders, in the citizen's language"
        pool = Pool()
        Lang = pool.get('ir.lang')
        template = getattr(config, f'template_{event}', None)
        if template:
            return template
        code = getattr(case.citizen.lang, 'code', None)
        # a language without translations (Wolof) gets the French text
        if not code or not Lang.search([
                    ('code', '=', code),
                    ('translatable', '=', True),
                    ], limit=1):
            code = 'fr'
        return gettext(f'service_case.msg_notification_{event}', code)

    @classmethod
    def variables(cls, case, config):
        return {
            'number': case.number,
            'procedure': case.procedure.name,
            'site': case.site.name,
            'due_date': (case.due_date.strftime('%d/%m/%Y')
                if case.due_date else ''),
            'link': (rating_link(case, config)
                if case.rating_token and config.public_url else ''),
            }

    @classmethod
    def longest_sms(cls, config, database=None):
        """Yield, for each event and language, the event's name, the site,
        the SMS and its length in GSM units, for the longest site and
        procedure names of the database"""
        pool = Pool()
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        Lang = pool.get('ir.lang')
        Date = pool.get('ir.date')
        with without_check_access(), \
                Transaction().set_context(active_test=False):
            sites = Site.search([])
            procedures = Procedure.search([])
            languages = [lang.code for lang in Lang.search([
                        ('translatable', '=', True)])]
        if not sites:
            return
        site = max(sites, key=lambda s: gsm_length(to_gsm(s.name)))
        procedure = max(
            (p.name for p in procedures),
            key=lambda n: gsm_length(to_gsm(n)), default='')
        variables = {
            'site': site.name,
            'number': f'{site.code}-{Date.today().year}-000000',
            'procedure': procedure,
            'due_date': '31/12/2099',
            'link': (public_link(config, 'x' * RATING_TOKEN_LENGTH, database)
                if config.public_url else ''),
            }
        names = dict(cls.fields_get(['event'])['event']['selection'])
        for event, _ in EVENTS:
            templates = {getattr(config, f'template_{event}', None)} - {None}
            if not templates:
                templates = {
                    gettext(f'service_case.msg_notification_{event}', code)
                    for code in languages}
            for template in sorted(templates):
                text = fit_sms(template, variables)
                yield names[event], site.name, text, gsm_length(text)

    @classmethod
    def notify_ticket(cls, ticket, event, **variables):
        """Queue the SMS of event to the phone of a ticket taken from a
        phone, in French (the ticket knows no language)"""
        return cls._notify_phone('ticket', ticket, event, {
                'number': ticket.number, 'site': ticket.site.name,
                **variables})

    @classmethod
    def notify_appointment(cls, appointment, event, **variables):
        """Queue the SMS of event to the phone of an appointment, in
        French"""
        start = appointment.start
        return cls._notify_phone('appointment', appointment, event, {
                'reference': appointment.reference,
                'site': appointment.site.name,
                'procedure': appointment.procedure.name,
                'date': start.strftime('%d/%m/%Y') if start else '',
                'time': start.strftime('%H:%M') if start else '',
                'link': appointment.link(),
                **variables})

    @classmethod
    def _notify_phone(cls, field, record, event, variables):
        if not record.phone:
            return None
        text = fit_sms(gettext(f'service_case.msg_notification_{event}',
                'fr'), variables)
        notification = cls(event=event, channel='sms',
            recipient=record.phone, text=text, **{field: record})
        notification.save()
        return notification

    @property
    def source(self):
        "The case, ticket or appointment the message is about"
        return self.case or self.ticket or self.appointment

    def get_rec_name(self, name):
        source = self.source
        return f'{source.rec_name if source else ""} {self.event_string}'

    def get_message(self):
        "Return the plain payload handed to a sender"
        return {
            'id': f'case-notification-{self.id}',
            'channel': self.channel,
            'recipient': self.recipient,
            'text': self.text,
            'case': self.case.number if self.case else None,
            'ticket': self.ticket.number if self.ticket else None,
            'appointment': (self.appointment.reference
                if self.appointment else None),
            'event': self.event,
            }

    @classmethod
    def send_pending(cls):
        "Scheduled task: send the notifications that are due"
        now = dt.datetime.now()
        notifications = cls.search([
                ('state', '=', 'pending'),
                ['OR',
                    ('next_attempt', '=', None),
                    ('next_attempt', '<=', now),
                    ],
                ], order=[('id', 'ASC')], limit=SEND_BATCH)
        cls.send(notifications)
        return notifications

    @classmethod
    def send(cls, notifications):
        pool = Pool()
        Configuration = pool.get('case.configuration')
        config = Configuration(1)
        senders = {}
        sent, failed = [], []
        for notification in notifications:
            channel = notification.channel
            if channel not in senders:
                senders[channel] = get_sender(
                    config.notification_sender, channel,
                    url=config.sms_gateway_url,
                    timeout=config.sms_gateway_timeout,
                    from_addr=tconfig.get('email', 'from'),
                    subject=gettext('service_case.msg_notification_subject'))
            try:
                senders[channel].send(notification.get_message())
            except SendError as exception:
                if notification.fail(
                        str(exception), exception.temporary, config):
                    failed.append(notification)
                continue
            notification.attempts = (notification.attempts or 0) + 1
            notification.sent_at = dt.datetime.now()
            notification.last_error = None
            sent.append(notification)
        cls.save(notifications)
        # The transitions record the final states in one write each
        cls.mark_sent(sent)
        cls.mark_failed(failed)

    def fail(self, error, temporary, config):
        """Record a failed attempt and plan the next one; return True when
        there will be none"""
        self.attempts = (self.attempts or 0) + 1
        self.last_error = error
        logger.warning(
            "notification %s of %s failed (attempt %s): %s",
            self.id, self.source.rec_name, self.attempts,
            error)
        if temporary and self.attempts < config.notification_max_attempts:
            delay = config.notification_retry_delay * 2 ** (self.attempts - 1)
            self.next_attempt = (
                dt.datetime.now() + dt.timedelta(minutes=delay))
            return False
        self.next_attempt = None
        return True

    @classmethod
    @Workflow.transition('sent')
    def mark_sent(cls, notifications):
        pass

    @classmethod
    @Workflow.transition('failed')
    def mark_failed(cls, notifications):
        pass

    @classmethod
    @ModelView.button
    def retry(cls, notifications):
        """Queue the failed notifications again, their text composed anew
        from the current settings (a public address configured since, a
        template fixed); those still not sendable stay failed with the
        reason"""
        pool = Pool()
        Configuration = pool.get('case.configuration')
        config = Configuration(1)
        notifications = [n for n in notifications if n.state == 'failed']
        queued = []
        for notification in notifications:
            if not notification.case:
                # a ticket's or appointment's message is sent again as
                # it was
                notification.attempts = 0
                notification.next_attempt = None
                queued.append(notification)
                continue
            notification.text, error = cls.compose(
                notification.case, notification.event, notification.channel,
                config)
            notification.attempts = 0
            notification.next_attempt = None
            if error:
                notification.last_error = error
            else:
                queued.append(notification)
        cls.save(notifications)
        cls.queue(queued)

    @classmethod
    @Workflow.transition('pending')
    def queue(cls, notifications):
        pass


def rating_link(case, config, database=None):
    """Return the address where the citizen rates the case, on the public
    address of the configuration; short, for the SMS (routes.rate)"""
    return public_link(config, case.rating_token, database)


def public_link(config, token, database=None):
    if database is None:
        database = Transaction().database.name
    base = config.public_url.rstrip('/')
    return f'{base}/{database}/avis/{token}'
