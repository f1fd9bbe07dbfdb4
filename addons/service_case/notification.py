"""The outbox of the messages sent to citizens when their case is
submitted, ready and delivered.

Notifications are written in the transaction of the transition, so a
rolled-back transition sends nothing; a scheduled task sends them, retries
temporary failures with a doubling delay and leaves the others failed and
visible for a person to retry.
"""
import datetime as dt
import logging

from trytond import config as tconfig
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from service_network.protection import ReadonlyGuardMixin

from .sender import SendError, get_sender

logger = logging.getLogger(__name__)

EVENTS = [
    ('submitted', "Submitted"),
    ('ready', "Ready"),
    ('delivered', "Delivered"),
    ]
SEND_BATCH = 500


class _Blank(dict):
    "Template variables: an unknown placeholder prints nothing"

    def __missing__(self, key):
        return ''


def render(template, variables):
    return template % _Blank(variables)


class Notification(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Notification to a citizen"
    __name__ = 'case.notification'
    case = fields.Many2One(
        'case.case', "Case", required=True, ondelete='CASCADE',
        readonly=True)
    event = fields.Selection(EVENTS, "Event", required=True, readonly=True)
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
        template = getattr(config, f'template_{event}', None)
        notifications = []
        for case in cases:
            recipients = [('sms', case.phone), ('email', case.citizen.email)]
            if not any(r for _, r in recipients):
                continue
            variables = cls.variables(case, config)
            if template:
                text = render(template, variables)
            else:
                language = getattr(case.citizen.lang, 'code', None) or 'fr'
                text = gettext(
                    f'service_case.msg_notification_{event}', language,
                    **variables)
            notifications.extend(
                cls(case=case, event=event, channel=channel,
                    recipient=recipient, text=text)
                for channel, recipient in recipients if recipient)
        cls.save(notifications)
        return notifications

    @classmethod
    def variables(cls, case, config):
        return {
            'number': case.number,
            'procedure': case.procedure.rec_name,
            'site': case.site.rec_name,
            'due_date': (case.due_date.strftime('%d/%m/%Y')
                if case.due_date else ''),
            'link': rating_link(case, config) if case.rating_token else '',
            }

    def get_message(self):
        "Return the plain payload handed to a sender"
        return {
            'id': f'case-notification-{self.id}',
            'channel': self.channel,
            'recipient': self.recipient,
            'text': self.text,
            'case': self.case.number,
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
            "notification %s of case %s failed (attempt %s): %s",
            self.id, self.case.number, self.attempts, error)
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
    @Workflow.transition('pending')
    def retry(cls, notifications):
        cls.write(notifications, {
                'attempts': 0,
                'next_attempt': None,
                })


def rating_link(case, config):
    "Return the public address where the citizen rates the case"
    database = Transaction().database.name
    base = (config.public_url or '').rstrip('/')
    return f'{base}/{database}/service_case/rate/{case.rating_token}'
