"""The delay of a case in working days: its due date, its status, the
pauses while waiting for the citizen or the partner, and the late flag."""
import logging
import math
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView
from trytond.pool import Pool
from trytond.transaction import Transaction

from service_network.calendar import today
from service_network.notify import notify, site_managers

from .exceptions import CaseError
from .workflow import AT_RISK_SHARE, OPEN_STATES, PAUSE_STATES, transition

logger = logging.getLogger(__name__)


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
            delay = procedure.legal_delay or 0
            if delay not in by_delay:
                by_delay[delay] = Holiday.add_working_days(start, delay)
            result[procedure] = by_delay[delay]
        return result

    def get_sla_status(self, name):
        pool = Pool()
        Holiday = pool.get('network.holiday')
        if self.state not in OPEN_STATES or not self.due_date:
            return None
        # While waiting for the citizen the clock is stopped
        reference = (self.paused_on if self.state == 'waiting_citizen'
            else today())
        if reference > self.due_date:
            return 'late'
        left = Holiday.count_working_days(reference, self.due_date)
        if left < AT_RISK_SHARE * self.procedure.legal_delay:
            return 'at_risk'
        return 'on_time'

    @classmethod
    def search_sla_status(cls, name, clause):
        """Search the delay status: late and at-risk cases are found among
        the open cases due within the at-risk share of the longest legal
        delay, the only ones that can be"""
        pool = Pool()
        Holiday = pool.get('network.holiday')
        Procedure = pool.get('network.procedure')
        _, operator, value = clause
        statuses = {None, 'on_time', 'at_risk', 'late'}
        values = (set(value) if isinstance(value, (list, tuple))
            else {value})
        if operator in {'!=', 'not in'}:
            values = statuses - values
        open_ = [('state', 'in', sorted(OPEN_STATES))]
        with Transaction().set_context(active_test=False):
            longest = Procedure.search(
                [], order=[('legal_delay', 'DESC NULLS LAST')], limit=1)
        delay = (longest[0].legal_delay or 0) if longest else 0
        horizon = Holiday.add_working_days(
            today(), math.ceil(AT_RISK_SHARE * delay))
        # the status of a case paused waiting for the citizen is taken on
        # the day it paused, before today: it is never nearer its due date
        near = defaultdict(list)
        for case in cls.search(open_ + [
                    ('due_date', '!=', None),
                    ('due_date', '<=', horizon),
                    ]):
            near[case.sla_status].append(case.id)
        domain = ['OR', ('id', '=', -1)]
        for status in sorted(values & statuses, key=str):
            if status in {'late', 'at_risk'}:
                domain.append(('id', 'in', near[status]))
            elif status == 'on_time':
                domain.append(open_ + [
                        ('due_date', '!=', None),
                        ('id', 'not in', near['late'] + near['at_risk']),
                        ])
            else:
                domain.append(['OR',
                        ('state', 'not in', sorted(OPEN_STATES)),
                        ('due_date', '=', None),
                        ])
        return domain

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
            case.paused_on = today()
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
        resumed = today()
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
                ('due_date', '<', today()),
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
