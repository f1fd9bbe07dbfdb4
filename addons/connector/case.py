"""Cases follow their partner's connector (registered with service_case):
the outbox messages of a transmission and the statuses coming back."""
import logging
from collections import defaultdict

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

logger = logging.getLogger(__name__)

# The actions that bring a case to the partner's status, in order; a case
# already past a step skips it, so a status received twice changes nothing
STATUS_ACTIONS = {
    'received': ['receive_at_partner'],
    'ready': ['make_ready'],
    'delivered': ['make_ready', 'deliver'],
    'rejected': ['reject'],
    }
ACTION_STATES = {
    'receive_at_partner': 'at_partner',
    'make_ready': 'ready',
    'deliver': 'delivered',
    'reject': 'rejected',
    }


class Case(metaclass=PoolMeta):
    __name__ = 'case.case'

    @classmethod
    def write_partner_messages(cls, cases, protocol):
        """Write in the outbox the message of each case whose partner is
        reached through protocol; get_<protocol>_request() of the case
        returns its operation and payload"""
        pool = Pool()
        Endpoint = pool.get('connector.endpoint')
        Message = pool.get('connector.message')
        cases = [c for c in cases
            if c.procedure.partner.transmission == protocol]
        if not cases:
            return []
        endpoints = {}
        vlist = []
        # Agents transmit cases; the endpoints and messages are the
        # administrators' and the outbox is written on their behalf.
        with without_check_access():
            for case in cases:
                partner = case.procedure.partner
                if partner not in endpoints:
                    endpoints[partner] = Endpoint.for_partner(
                        partner, protocol)
                operation, payload = getattr(
                    case, f'get_{protocol}_request')()
                vlist.append({
                        'endpoint': endpoints[partner].id,
                        'operation': operation,
                        'payload': payload,
                        'idempotency_key': f'{case.number}:{operation}',
                        'origin': str(case),
                        })
            return Message.outbox(vlist)

    @classmethod
    def follow_partner_statuses(cls, items):
        """Move each case of (case, status, data) to its partner's status,
        one action for all the cases of a status"""
        by_status = defaultdict(dict)
        for case, status, data in items:
            by_status[status][case.id] = data
        for status, datas in by_status.items():
            for action in STATUS_ACTIONS.get(status, []):
                target = ACTION_STATES[action]
                cases = [c for c in cls.browse(list(datas))
                    if (c.state, target) in cls._transitions]
                if not cases:
                    continue
                if action == 'reject':
                    for case in cases:
                        case.reason = datas[case.id].get('reason') or gettext(
                            'connector.msg_case_rejected_by_partner',
                            partner=case.procedure.partner.rec_name)
                    cls.save(cases)
                if action == 'deliver':
                    # The partner handed the document over itself (by post,
                    # at its office): no counter recipient to record
                    for case in cases:
                        case.recipient_kind = 'partner'
                    cls.save(cases)
                with Transaction().set_context(_partner_delivery=True):
                    getattr(cls, action)(cases)
                logger.info("%s cases: %s from partner", len(cases), action)


class Message(metaclass=PoolMeta):
    __name__ = 'connector.message'

    @classmethod
    def _get_origins(cls):
        return super()._get_origins() + ['case.case']
