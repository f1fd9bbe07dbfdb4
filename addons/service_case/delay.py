"""The delay of a case in working days: its due date, its status, the
pauses while waiting for the citizen or the partner, and the late flag."""
import logging
import math
from collections import defaultdict

from sql import Literal, Null
from sql.conditionals import Case
from sql.operators import Or

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from service_network.calendar import to_date, working_days
from service_network.notify import notify, site_managers
from service_network.rec_names import rows_by_ids

from .exceptions import CaseError
from .workflow import AT_RISK_SHARE, OPEN_STATES, PAUSE_STATES, transition

logger = logging.getLogger(__name__)

SLA_STATUSES = [None, 'on_time', 'at_risk', 'late']
# The order of the statuses when sorting on them: the most urgent first
SLA_RANKS = {'late': 0, 'at_risk': 1, 'on_time': 2, None: 3}
# The colours of the statuses on the form: sao's (bootstrap's) danger,
# warning and success
SLA_COLORS = {'late': '#d9534f', 'at_risk': '#f0ad4e', 'on_time': '#5cb85c'}


# {(start, delay): due date}, emptied when a holiday changes (Holiday)
_due_dates = Cache('case.case.due_dates', context=False)
# {procedure id: legal delay}, emptied when a procedure changes (Procedure):
# a case opened through JSON-RPC read its procedure only for it
_legal_delays = Cache('case.case.legal_delays', context=False)


def at_risk_days(legal_delay):
    """Return the working days left under which a case of a procedure of
    legal_delay is at risk: fewer than the at-risk share of its delay"""
    return math.ceil(AT_RISK_SHARE * (legal_delay or 0))


def legal_delay(procedure):
    "The legal delay of procedure in working days, from the cache"
    delay = _legal_delays.get(procedure.id)
    if delay is None:
        delay = procedure.legal_delay or 0
        _legal_delays.set(procedure.id, delay)
    return delay


class CaseDelayMixin:
    "The delay part of case.case"
    __slots__ = ()

    @classmethod
    def due_dates(cls, start, procedures):
        """Return {procedure: due date} for a case started on start: start
        plus the procedure's legal delay in working days"""
        pool = Pool()
        Holiday = pool.get('network.holiday')
        by_delay = {}
        result = {}
        for procedure in procedures:
            delay = legal_delay(procedure)
            if delay not in by_delay:
                # the calendar is read for a start and delay once: each
                # case opened through JSON-RPC asked it twice a call
                key = (start.isoformat(), delay)
                due_date = _due_dates.get(key)
                if due_date is None:
                    due_date = Holiday.add_working_days(start, delay)
                    _due_dates.set(key, due_date)
                by_delay[delay] = due_date
            result[procedure] = by_delay[delay]
        return result

    def delay_reference(self, today=None):
        """The day the delay is counted from: today, or the day the case
        paused while waiting for the citizen (the clock is stopped)"""
        return self._delay_reference(self.state, self.paused_on, today)

    @staticmethod
    def _delay_reference(state, paused_on, today=None):
        if state == 'waiting_citizen' and paused_on:
            return paused_on
        return today or Pool().get('ir.date').today()

    @classmethod
    def get_delay(cls, cases, names):
        """The delay status and the working days left of the open cases
        (negative: the working days they are late by); one look at the
        calendar for all the cases"""
        pool = Pool()
        Holiday = pool.get('network.holiday')
        Procedure = pool.get('network.procedure')
        result = {name: {c.id: None for c in cases} for name in names}
        # the four columns it needs, in one query: the cases' attributes
        # loaded every stored field of the list's 90 cases, record by
        # record (15 of a list's 20 ms)
        table = cls.__table__()
        open_ = [row for row in rows_by_ids(table, table.id,
                [table.state, table.due_date, table.paused_on,
                    table.procedure], [c.id for c in cases])
            if row[1] in OPEN_STATES and row[2]]
        if not open_:
            return result
        # today once for a list of cases, each procedure's delay from the
        # cache: a list of 90 cases asked the date 90 times and loaded
        # their procedures
        today = pool.get('ir.date').today()
        references = {case_id: cls._delay_reference(state, paused_on, today)
            for case_id, state, _, paused_on, _ in open_}
        dates = list(references.values()) + [
            due_date for _, _, due_date, _, _ in open_]
        closed = Holiday.holiday_dates(min(dates), max(dates))
        for case_id, _, due_date, _, procedure in open_:
            reference = references[case_id]
            left = working_days(reference, due_date, closed)
            if reference > due_date:
                status = 'late'
            elif left < at_risk_days(legal_delay(Procedure(procedure))):
                status = 'at_risk'
            else:
                status = 'on_time'
            if 'sla_status' in result:
                result['sla_status'][case_id] = status
            if 'days_left' in result:
                result['days_left'][case_id] = left
        return result

    @classmethod
    def sla_status_conditions(cls, table):
        """Return {status: SQL condition} of the delay statuses of the
        cases of table, as get_delay computes them: a running case is at
        risk when due before the day that many working days after today
        (per procedure); the few cases paused waiting for the citizen are
        looked at one by one"""
        pool = Pool()
        Holiday = pool.get('network.holiday')
        Procedure = pool.get('network.procedure')
        cursor = Transaction().connection.cursor()
        now = Pool().get('ir.date').today()
        open_ = (table.state.in_(sorted(OPEN_STATES))
            & (table.due_date != Null))
        # as delay_reference: the clock of a paused case stopped that day
        stopped = ((table.state == 'waiting_citizen')
            & (table.paused_on != Null))
        paused = open_ & stopped
        running = open_ & ~stopped

        procedure = Procedure.__table__()
        cursor.execute(*procedure.select(
                procedure.id, procedure.legal_delay))
        by_days = defaultdict(list)
        for procedure_id, legal_delay in cursor:
            by_days[at_risk_days(legal_delay)].append(procedure_id)
        near = []
        for days, procedure_ids in sorted(by_days.items()):
            if days > 0:
                near.append(
                    fields.SQL_OPERATORS['in'](table.procedure, procedure_ids)
                    & (table.due_date < Holiday.add_working_days(now, days)))

        case = cls.__table__()
        cursor.execute(*case.select(
                case.id, case.procedure, case.paused_on, case.due_date,
                where=(case.state == 'waiting_citizen')
                & (case.due_date != Null) & (case.paused_on != Null)
                & (case.paused_on <= case.due_date)))
        paused_rows = [(id_, procedure_id, to_date(paused_on),
                to_date(due_date))
            for id_, procedure_id, paused_on, due_date in cursor]
        limits = {}
        days_of = {procedure_id: days
            for days, procedure_ids in by_days.items()
            for procedure_id in procedure_ids}
        paused_at_risk = []
        for id_, procedure_id, paused_on, due_date in paused_rows:
            key = (paused_on, days_of.get(procedure_id, 0))
            if key not in limits:
                limits[key] = Holiday.add_working_days(*key)
            if due_date < limits[key]:
                paused_at_risk.append(id_)

        late = ((running & (table.due_date < now))
            | (paused & (table.paused_on > table.due_date)))
        at_risk = (
            (running & (table.due_date >= now)
                & (Or(near) if near else Literal(False)))
            | (fields.SQL_OPERATORS['in'](table.id, paused_at_risk)
                if paused_at_risk else Literal(False)))
        return {
            'late': late,
            'at_risk': at_risk,
            'on_time': open_ & ~late & ~at_risk,
            None: ~open_,
            }

    @classmethod
    def search_sla_status(cls, name, clause):
        "Search the delay status in SQL (the home pages, the list tabs)"
        _, operator, value = clause
        values = (set(value) if isinstance(value, (list, tuple))
            else {value})
        if operator in {'!=', 'not in'}:
            values = set(SLA_STATUSES) - values
        elif operator not in {'=', 'in'}:
            return [('id', '=', -1)]
        table = cls.__table__()
        conditions = cls.sla_status_conditions(table)
        wanted = [conditions[s] for s in SLA_STATUSES if s in values]
        if not wanted:
            return [('id', '=', -1)]
        return [('id', 'in', table.select(table.id, where=Or(wanted)))]

    @classmethod
    def order_sla_status(cls, tables):
        "The most urgent first: late, at risk, on time, then the others"
        table, _ = tables[None]
        conditions = cls.sla_status_conditions(table)
        rank = Case(
            *((conditions[s], SLA_RANKS[s]) for s in SLA_STATUSES if s),
            else_=SLA_RANKS[None])
        return [rank, table.due_date]

    @classmethod
    @ModelView.button
    @transition('waiting_citizen')
    def wait_citizen(cls, cases):
        cls._pause(cases)

    @classmethod
    @ModelView.button
    @transition('waiting_partner')
    def wait_partner(cls, cases):
        cls._pause(cases)

    @classmethod
    def _pause(cls, cases):
        for case in cases:
            case.paused_state = case.state
            case.paused_on = Pool().get('ir.date').today()
        cls.save(cases)

    @classmethod
    @ModelView.button
    def resume(cls, cases):
        """Go back to the state before the pause; the days spent waiting for
        the citizen push the expected delivery"""
        pool = Pool()
        Holiday = pool.get('network.holiday')
        for case in cases:
            if case.state not in PAUSE_STATES:
                raise CaseError(gettext(
                        'service_case.msg_case_not_paused',
                        case=case.rec_name))
        before = {c.id: c.state for c in cases}
        resumed = Pool().get('ir.date').today()
        for case in cases:
            if case.state == 'waiting_citizen' and case.due_date:
                waited = Holiday.count_working_days(case.paused_on, resumed)
                case.due_date = Holiday.add_working_days(
                    case.due_date, waited)
            case.state = case.paused_state
            case.paused_state = None
            case.paused_on = None
        cls.save(cases)
        cls.record_history(cases, before)

    @classmethod
    def flag_late(cls):
        "Scheduled task: flag the open cases past their expected delivery"
        cases = cls.search([
                ('state', 'in', list(OPEN_STATES - {'waiting_citizen'})),
                ('due_date', '<', Pool().get('ir.date').today()),
                ('late_flagged', '=', False),
                ])
        cls.write(cases, {'late_flagged': True})
        cls.notify_late(cases)
        return cases

    @classmethod
    def notify_late(cls, cases):
        "Notify the managers of each site of its cases that became late"
        by_site = defaultdict(list)
        for case in cases:
            by_site[case.site].append(case)
        for site, site_cases in by_site.items():
            numbers = ', '.join(c.number for c in site_cases)
            logger.warning("site %s: late cases %s", site.code, numbers)
            notify(site_managers(site), site_cases,
                'service_case.msg_late_cases_notification',
                description=numbers,
                count=len(site_cases), site=site.rec_name)


class Holiday(metaclass=PoolMeta):
    __name__ = 'network.holiday'

    @classmethod
    def on_modification(cls, mode, holidays, field_names=None):
        super().on_modification(mode, holidays, field_names=field_names)
        _due_dates.clear()


class Procedure(metaclass=PoolMeta):
    __name__ = 'network.procedure'

    @classmethod
    def on_modification(cls, mode, procedures, field_names=None):
        super().on_modification(mode, procedures, field_names=field_names)
        _legal_delays.clear()
