"""The outbox: every call to a partner system is a message written in the
transaction of the business change, sent after commit with retries, and
kept with its outcome for a person to read and retry."""
import datetime as dt
import logging
import re
from collections import defaultdict

from sql import Null
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.config import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from service_network.protection import check_user_groups, wizard_label

from .transport import TransportError, retry_delay, scrub

logger = logging.getLogger(__name__)

STATES = [
    ('pending', "Pending"),
    ('sent', "Sent"),
    ('acknowledged', "Acknowledged"),
    ('failed', "Failed"),
    ('dead', "Dead"),
    ]
SENDABLE = {'pending', 'failed'}
# Errors are stored in the language of the network's staff
ERROR_LANGUAGE = 'fr'
# Temporary failures in a row after which an endpoint rests until next run
BREAKER = 5
# SQLite refuses one insert of many rows checked by a unique constraint
CREATE_CHUNK = 500
# The queue (ir.queue name) of the sends: all its tasks are sends
QUEUE = 'connector'
# Waiting send tasks a task takes over and sends with its own, at most
CLAIM = 250


def like_match(operator, value, text):
    "Whether text matches value for a domain operator (=, in, like, ilike)"
    if operator == '=':
        return text == value
    if operator == 'in':
        return text in (value or [])
    if operator in {'like', 'ilike'} and isinstance(value, str):
        pattern = ''.join(
            '.*' if c == '%' else '.' if c == '_' else re.escape(c)
            for c in value)
        flags = re.IGNORECASE if operator == 'ilike' else 0
        return re.fullmatch(pattern, text or '', flags | re.DOTALL) is not None
    return False


class Message(ModelSQL, ModelView):
    "Connector Message"
    __name__ = 'connector.message'
    endpoint = fields.Many2One(
        'connector.endpoint', "Endpoint", required=True, readonly=True,
        ondelete='RESTRICT')
    operation = fields.Char("Operation", required=True, readonly=True)
    operation_string = fields.Function(
        fields.Char("Operation"), 'get_operation_string',
        searcher='search_operation_string')
    # eager: read with the message's other fields by the send
    payload = fields.Dict(None, "Payload", readonly=True, loading='eager')
    idempotency_key = fields.Char(
        "Idempotency Key", required=True, readonly=True,
        help="Sent with every attempt so the partner acts only once.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False,
        help="Sent: the partner has the message and will confirm it; "
        "acknowledged: the partner confirmed it; dead: no more attempts.")
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    sent_at = fields.DateTime("Last Attempt", readonly=True)
    acknowledged_at = fields.DateTime("Acknowledged at", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    partner_reference = fields.Char("Partner Reference", readonly=True)
    partner_status = fields.Char("Partner Status", readonly=True)
    origin = fields.Reference(
        "Origin", selection='get_origins', readonly=True, loading='eager')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('idempotency_key_unique', Unique(t, t.idempotency_key),
                'connector.msg_message_idempotency_key_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.next_attempt, Index.Range())),
                Index(t, (t.partner_reference, Index.Equality()),
                    where=t.partner_reference != Null),
                Index(t, (t.origin, Index.Equality())),
                })
        # shown to the second, like the other times people read
        cls.create_date.format = '%H:%M:%S'
        cls._order.insert(0, ('create_date', 'DESC'))
        cls._buttons.update({
                'retry': {
                    'invisible': ~Eval('state').in_(['failed', 'dead']),
                    'depends': ['state'],
                    },
                })


    def get_operation_string(self, name):
        Endpoint = Pool().get('connector.endpoint')
        return Endpoint.operation_labels().get(
            self.operation, self.operation)

    @classmethod
    def search_operation_string(cls, name, clause):
        "Search the operations by their label as people read it"
        Endpoint = Pool().get('connector.endpoint')
        _, operator, value = clause[:3]
        labels = Endpoint.operation_labels()
        codes = [code for code, label in labels.items()
            if like_match(operator.removeprefix('not '), value, label)]
        if operator.startswith('not '):
            return [('operation', 'not in', codes),
                ('operation', operator, value)]
        return ['OR', ('operation', 'in', codes),
            ('operation', operator, value)]

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def default_next_attempt(cls):
        return dt.datetime.now()

    @classmethod
    def _get_origins(cls):
        "Return the models a message may come from"
        return []

    @classmethod
    def get_origins(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        models = cls._get_origins()
        return [(None, '')] + [
            (m, IrModel.get_name(m)) for m in models]

    def get_rec_name(self, name):
        return self.idempotency_key

    @classmethod
    def on_modification(cls, mode, messages, field_names=None):
        super().on_modification(mode, messages, field_names=field_names)
        if mode == 'create':
            cls.queue_send(messages)

    @classmethod
    def queue_send(cls, messages):
        """Queue one task sending messages once this transaction commits
        (ir.queue commits with it), on the connector's queue"""
        with Transaction().set_context(queue_name=QUEUE):
            cls.__queue__.send_queued(messages)

    @classmethod
    def send_queued(cls, messages):
        """The queue task: send messages and those of the send tasks
        waiting behind this one, which it takes over, in one transaction:
        a task and its transaction cost several times a call to a partner,
        so a backlog (a busy morning, a partner back after an outage) is
        sent many messages a task instead of one"""
        ids = {m.id for m in messages}
        claimed = [i for i in cls.claim_waiting_tasks() if i not in ids]
        if claimed:
            # deleted meanwhile: nothing to send
            messages = list(messages) + cls.search([('id', 'in', claimed)])
        cls.send(messages)

    @classmethod
    def claim_waiting_tasks(cls, limit=CLAIM):
        """Take over the send tasks waiting in the queue and return the ids
        of their messages.

        Only the tasks this transaction sees are taken: their messages,
        committed with them, are visible here. They are marked done in a
        transaction of their own, committed at once, the way the worker
        pulls a task (skipping those a worker is taking), so that no other
        worker runs them; were this transaction to fail, their messages
        stay pending and the scheduled send_due sends them, as after a
        worker's crash. Without a worker, the tasks run at commit in the
        process that queued them: there is nothing to take over."""
        if not config.getboolean('queue', 'worker', default=False):
            return []
        pool = Pool()
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        database = transaction.database
        queue = Queue.__table__()
        waiting = ((queue.name == QUEUE) & (queue.dequeued_at == Null)
            & ((queue.scheduled_at == Null)
                | (queue.scheduled_at <= CurrentTimestamp())))
        cursor = transaction.connection.cursor()
        cursor.execute(*queue.select(queue.id, where=waiting,
                order_by=[queue.id], limit=limit))
        visible = [i for i, in cursor]
        if not visible:
            return []
        with transaction.new_transaction() as claim:
            cursor = claim.connection.cursor()
            selected = queue.select(queue.id,
                where=queue.id.in_(visible) & (queue.dequeued_at == Null))
            if database.has_select_for():
                selected.for_ = database.get_select_for_skip_locked()(
                    'UPDATE')
            if not database.has_returning():
                cursor.execute(*selected)
                selected = [i for i, in cursor]
            if selected:
                update = queue.update(
                    [queue.dequeued_at, queue.finished_at],
                    [CurrentTimestamp(), CurrentTimestamp()],
                    where=queue.id.in_(selected))
                if database.has_returning():
                    update.returning = [queue.id]
                    cursor.execute(*update)
                    selected = [i for i, in cursor]
                else:
                    cursor.execute(*update)
            claim.commit()
        # their data as this transaction sees it (unchanged by the claim)
        ids = []
        for task in Queue.browse(selected):
            data = task.data or {}
            if (data.get('model') == cls.__name__
                    and data.get('method') == 'send_queued'):
                ids.extend(data.get('instances') or [])
        return ids

    @classmethod
    def outbox(cls, vlist):
        """Write the messages of vlist, skipping the idempotency keys
        already written: the same business change never sends twice"""
        keys = [v['idempotency_key'] for v in vlist]
        existing = set()
        for i in range(0, len(keys), CREATE_CHUNK):
            existing.update(m.idempotency_key for m in cls.search([
                        ('idempotency_key', 'in', keys[i:i + CREATE_CHUNK]),
                        ]))
        vlist = [v for v in vlist if v['idempotency_key'] not in existing]
        messages = []
        for i in range(0, len(vlist), CREATE_CHUNK):
            messages.extend(cls.create(vlist[i:i + CREATE_CHUNK]))
        return messages

    @classmethod
    def find(cls, endpoint, idempotency_key=None, reference=None):
        "Return the message of endpoint by key or partner reference"
        for name, value in [
                ('idempotency_key', idempotency_key),
                ('partner_reference', reference)]:
            if value:
                messages = cls.search([
                        ('endpoint', '=', endpoint.id),
                        (name, '=', str(value)),
                        ], limit=1)
                if messages:
                    return messages[0]

    @classmethod
    def send_due(cls, limit=1000):
        "Send the pending and failed messages whose attempt is due"
        messages = cls.search([
                ('state', 'in', list(SENDABLE)),
                ('next_attempt', '<=', dt.datetime.now()),
                ], order=[('next_attempt', 'ASC'), ('id', 'ASC')],
            limit=limit)
        cls.send(messages)
        return messages

    @classmethod
    def send(cls, messages):
        """Send each message still waiting to be sent and store its outcome.

        The rows are locked first so that the queue and the scheduler never
        send the same message at once. After BREAKER failures in a row that
        may pass, an endpoint is left alone until the next run: a partner
        that is down is not called once per waiting message."""
        messages = cls.browse([m.id for m in messages])
        cls.lock_rows(messages)
        messages = [m for m in messages if m.state in SENDABLE]
        failures = defaultdict(int)
        attempted, done, statuses = [], [], []
        for message in messages:
            endpoint = message.endpoint
            if failures[endpoint] >= BREAKER:
                continue
            attempted.append(message)
            message.attempts = (message.attempts or 0) + 1
            message.sent_at = dt.datetime.now()
            try:
                result = endpoint.cached_client().call(
                    message.operation, dict(message.payload or {}),
                    message.idempotency_key)
            except TransportError as error:
                message.fail(error)
                failures[endpoint] = (
                    failures[endpoint] + 1 if error.temporary else 0)
                continue
            failures[endpoint] = 0
            message.succeed(result)
            done.append(message)
            if result.get('status'):
                statuses.append((message, result['status'], result))
        for message, status, data in statuses:
            message.set_partner_status(status, data)
        # read before the save, which empties the records' cache
        origins = cls.origin_statuses(statuses)
        # one write per message for its attempt and the partner's status
        cls.save(attempted)
        cls.follow_origins(origins)
        return done

    @classmethod
    def lock_rows(cls, messages):
        """Lock the rows of messages in this transaction (SELECT ... FOR
        UPDATE NOWAIT, as Tryton locks them when a transaction starts):
        a transaction that sent one of them meanwhile makes this one fail
        and start again, which then sees it sent. SQLite has one writer
        at a time and no row lock."""
        transaction = Transaction()
        new_ids = set(transaction.create_records[cls.__name__])
        ids = [m.id for m in messages if m.id not in new_ids]
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            transaction.database.lock_records(
                transaction.connection, cls._table, list(sub_ids))

    def succeed(self, result):
        "Record the partner's answer to a call"
        reference = result.get('reference')
        if reference:
            self.partner_reference = str(reference)
            self.state = 'acknowledged'
            self.acknowledged_at = dt.datetime.now()
        else:
            self.state = 'sent'
        self.next_attempt = None
        self.last_error = None

    def fail(self, error):
        "Record a failed attempt and plan the next one, if any"
        endpoint = self.endpoint
        text = self.error_text(error)
        logger.info(
            "message %s attempt %s: %s", self.id, self.attempts,
            scrub(str(error), endpoint.secrets))
        if error.temporary and self.attempts < endpoint.max_attempts:
            self.state = 'failed'
            self.next_attempt = dt.datetime.now() + dt.timedelta(
                seconds=retry_delay(endpoint.retry_delay, self.attempts))
            message = 'connector.msg_error_attempt'
        else:
            # dead letter: nothing is planned, the text must not promise it
            self.state = 'dead'
            self.next_attempt = None
            message = 'connector.msg_error_dead'
        self.last_error = gettext(
            message, ERROR_LANGUAGE,
            attempt=self.attempts, max=endpoint.max_attempts, error=text)

    def error_text(self, error):
        "The error in plain words for the staff, without any secret"
        return gettext(
            f'connector.msg_error_{error.code}', ERROR_LANGUAGE,
            timeout=self.endpoint.timeout,
            detail=scrub(error.detail, self.endpoint.secrets))

    def set_partner_status(self, status, data):
        "Record the partner's status of the message, not saved"
        self.partner_status = status[:64]
        if data.get('reference') and not self.partner_reference:
            self.partner_reference = str(data['reference'])
        if self.state != 'acknowledged':
            self.state = 'acknowledged'
            self.acknowledged_at = dt.datetime.now()
            self.next_attempt = None

    @classmethod
    def apply_statuses(cls, statuses):
        """Record the partner's status of each (message, status, data) and
        pass it to the origin, which follows it"""
        for message, status, data in statuses:
            message.set_partner_status(status, data)
        origins = cls.origin_statuses(statuses)
        cls.save([m for m, _, _ in statuses])
        cls.follow_origins(origins)

    @staticmethod
    def origin_statuses(statuses):
        "The (origin, status, data) of the (message, status, data) with one"
        return [(m.origin, s, d) for m, s, d in statuses if m.origin]

    @classmethod
    def follow_origins(cls, items):
        "Pass each (origin, status, data) to its origin, which follows it"
        by_model = defaultdict(list)
        for origin, status, data in items:
            by_model[origin.__name__].append((origin, status, data))
        pool = Pool()
        for model, items in by_model.items():
            Origin = pool.get(model)
            follow = getattr(Origin, 'follow_partner_statuses', None)
            if follow:
                follow(items)

    @classmethod
    @ModelView.button_action('connector.wizard_message_retry')
    def retry(cls, messages):
        "Open the retry wizard, which tells what it did"
        pass

    @classmethod
    def retry_messages(cls, messages):
        """Send the failed and abandoned messages again from the first
        attempt and tell the user how many"""
        to_retry = [m for m in messages if m.state in {'failed', 'dead'}]
        if to_retry:
            cls.write(to_retry, {
                    'state': 'pending',
                    'attempts': 0,
                    'next_attempt': dt.datetime.now(),
                    })
            cls.queue_send(to_retry)
        text = gettext('connector.msg_messages_retried', count=len(to_retry))
        skipped = len(messages) - len(to_retry)
        if skipped:
            text += ' ' + gettext(
                'connector.msg_messages_not_retried', count=skipped)
        return text


class MessageRetryDone(ModelView):
    __name__ = 'connector.message.retry.done'
    result = fields.Text("Result", readonly=True)


class MessageRetry(Wizard):
    "Send the selected messages again"
    __name__ = 'connector.message.retry'
    start = StateTransition()
    done = StateView('connector.message.retry.done',
        'connector.message_retry_done_view_form', [
            Button("Close", 'end', 'tryton-ok', default=True),
            ])

    def transition_start(self):
        check_user_groups(
            ['group_network_admin'], wizard_label(self.__name__))
        self.done.result = self.model.retry_messages(self.records)
        return 'done'

    def default_done(self, fields):
        return {'result': self.done.result}


class CallbackEvent(ModelSQL, ModelView):
    "Connector Callback Event"
    __name__ = 'connector.callback.event'
    endpoint = fields.Many2One(
        'connector.endpoint', "Endpoint", required=True, readonly=True,
        ondelete='CASCADE')
    event_id = fields.Char("Event", required=True, readonly=True)
    status = fields.Char("Status", readonly=True)
    message = fields.Many2One(
        'connector.message', "Message", readonly=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('event_unique', Unique(t, t.endpoint, t.event_id),
                'connector.msg_callback_event_unique'),
            ]
        cls._order.insert(0, ('create_date', 'DESC'))
        # shown to the second, like the other times people read
        cls.create_date.format = '%H:%M:%S'
