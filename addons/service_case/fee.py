"""Changing a case's fees before payment, and refunding after it.

Fees come from the procedure's catalogue when the case is submitted
(`Case.set_fees`); nobody writes them directly. Before payment a site
manager may change an amount, with a reason; once paid they are frozen and
money goes back to the citizen only as a refund, its own recorded operation.
Both are written in the case's history.
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from service_network.procedure import XOF_DIGITS
from service_network.protection import (
    ReadonlyGuardMixin,
    check_user_groups,
    check_user_sites,
    wizard_label,
)

from .exceptions import CaseError
from .receipt import format_xof
from .workflow import current_employee

MANAGER_GROUPS = ['group_site_manager', 'group_network_admin']


def _active_case(wizard):
    pool = Pool()
    Case = pool.get('case.case')
    context = Transaction().context
    if context.get('active_model') != 'case.case':
        raise CaseError(gettext('service_case.msg_case_wizard_no_case'))
    case = Case(context['active_id'])
    check_user_sites([case.site.id], case.rec_name)
    return case


class Refund(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Refund of a case's fees"
    __name__ = 'case.refund'
    case = fields.Many2One(
        'case.case', "Case", required=True, readonly=True,
        ondelete='RESTRICT')
    site = fields.Function(
        fields.Many2One('network.site', "Site"), 'get_site',
        searcher='search_site')
    date = fields.DateTime("Date", required=True, readonly=True)
    amount = fields.Numeric(
        "Amount (XOF)", digits=XOF_DIGITS, required=True, readonly=True,
        domain=[('amount', '>', 0)])
    method = fields.Selection([
            ('cash', "Cash"),
            ('mobile_money', "Mobile Money"),
            ], "Method", required=True, readonly=True)
    method_string = method.translated('method')
    reason = fields.Text("Reason", required=True, readonly=True)
    employee = fields.Many2One(
        'company.employee', "Refunded by", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))

    def get_site(self, name):
        return self.case.site.id

    @classmethod
    def search_site(cls, name, clause):
        return [('case.site',) + tuple(clause[1:])]

    def get_rec_name(self, name):
        return f'{self.case.rec_name} - {format_xof(self.amount)} F CFA'


class FeeChangeStart(ModelView):
    "Change a fee of a case"
    __name__ = 'case.fee.change.start'
    case = fields.Many2One('case.case', "Case", readonly=True)
    fee = fields.Many2One(
        'case.fee', "Fee", required=True,
        domain=[('case', '=', Eval('case', -1))])
    current_amount = fields.Numeric(
        "Current Amount (XOF)", digits=XOF_DIGITS, readonly=True)
    amount = fields.Numeric(
        "New Amount (XOF)", digits=XOF_DIGITS, required=True,
        domain=[('amount', '>=', 0)])
    reason = fields.Text("Reason", required=True)

    @fields.depends('fee')
    def on_change_fee(self):
        self.current_amount = self.fee.amount if self.fee else None


class FeeChange(Wizard):
    "Change a fee of a case"
    __name__ = 'case.fee.change'
    start = StateView('case.fee.change.start',
        'service_case.fee_change_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Change", 'change', 'tryton-ok', default=True),
            ])
    change = StateTransition()

    def _check(self):
        check_user_groups(MANAGER_GROUPS, wizard_label(self.__name__))
        case = _active_case(self)
        if case.paid_at or case.state in {
                'draft', 'rejected', 'cancelled', 'delivered'}:
            raise CaseError(gettext(
                    'service_case.msg_case_fees_frozen', case=case.rec_name))
        return case

    def default_start(self, fields):
        case = self._check()
        return {'case': case.id}

    def transition_change(self):
        pool = Pool()
        Case = pool.get('case.case')
        Fee = pool.get('case.fee')
        case = self._check()
        fee = self.start.fee
        if fee.case != case:
            raise CaseError(gettext(
                    'service_case.msg_case_wizard_no_case'))
        amount = Decimal(self.start.amount or 0)
        if amount < 0:
            raise CaseError(gettext(
                    'service_case.msg_fee_negative', fee=fee.label,
                    case=case.rec_name))
        reason = (self.start.reason or '').strip()
        if not reason:
            raise CaseError(gettext(
                    'service_case.msg_case_fee_reason', case=case.rec_name))
        before = fee.amount
        Fee.write([fee], {'amount': amount})
        Case.record_event({case: gettext(
                    'service_case.msg_case_history_fee',
                    fee=fee.label, before=format_xof(before),
                    after=format_xof(amount), reason=reason)})
        return 'end'


class RefundStart(ModelView):
    "Refund a case's fees"
    __name__ = 'case.refund.start'
    case = fields.Many2One('case.case', "Case", readonly=True)
    refundable = fields.Numeric(
        "Refundable (XOF)", digits=XOF_DIGITS, readonly=True)
    amount = fields.Numeric(
        "Amount (XOF)", digits=XOF_DIGITS, required=True,
        domain=[('amount', '>', 0), ('amount', '<=', Eval('refundable', 0))])
    method = fields.Selection([
            ('cash', "Cash"),
            ('mobile_money', "Mobile Money"),
            ], "Method", required=True)
    reason = fields.Text("Reason", required=True)


class RefundWizard(Wizard):
    "Refund a case's fees"
    __name__ = 'case.refund.wizard'
    start = StateView('case.refund.start',
        'service_case.refund_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Refund", 'refund', 'tryton-ok', default=True),
            ])
    refund = StateTransition()

    def _check(self):
        check_user_groups(MANAGER_GROUPS, wizard_label(self.__name__))
        case = _active_case(self)
        if not case.paid_at:
            raise CaseError(gettext(
                    'service_case.msg_case_refund_unpaid',
                    case=case.rec_name))
        return case

    @staticmethod
    def refundable(case):
        return case.total_fee - sum(
            (r.amount for r in case.refunds), Decimal(0))

    def default_start(self, fields):
        case = self._check()
        refundable = self.refundable(case)
        return {
            'case': case.id,
            'refundable': refundable,
            'amount': refundable,
            'method': case.payment_method or 'cash',
            }

    def transition_refund(self):
        pool = Pool()
        Case = pool.get('case.case')
        Refund = pool.get('case.refund')
        case = self._check()
        amount = Decimal(self.start.amount or 0)
        refundable = self.refundable(case)
        if not 0 < amount <= refundable:
            raise CaseError(gettext(
                    'service_case.msg_case_refund_amount',
                    case=case.rec_name, amount=format_xof(amount),
                    refundable=format_xof(refundable)))
        reason = (self.start.reason or '').strip()
        if not reason:
            raise CaseError(gettext(
                    'service_case.msg_case_fee_reason', case=case.rec_name))
        employee = current_employee()
        Refund.save([Refund(
                    case=case, date=dt.datetime.now(), amount=amount,
                    method=self.start.method, reason=reason,
                    employee=employee)])
        Case.record_event({case: gettext(
                    'service_case.msg_case_history_refund',
                    amount=format_xof(amount), reason=reason)})
        return 'end'
