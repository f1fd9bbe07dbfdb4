"""Decisions of finance on statement lines: match by hand, split a line
among several cases, resolve with a reason. Each one is recorded with who
took it and when."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

from service_network.protection import check_user_groups, wizard_label

from .exceptions import DecisionError
from .matching import amount_status, network_records


def _records(statement, cases):
    "Return {case id: Record} of the cases, whatever their date"
    records = network_records(
        statement.partner, None, None, statement.profile.amount_basis,
        cases=[c.id for c in cases])
    return {r.case: r for r in records}


def _check_cases(line, cases):
    "Refuse cases of another partner or already covered by another line"
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    statement = line.statement
    if statement.state == 'done':
        raise DecisionError(gettext(
                'partner_reconciliation.msg_decision_statement_done',
                statement=statement.rec_name))
    for case in cases:
        if case.procedure.partner != statement.partner:
            raise DecisionError(gettext(
                    'partner_reconciliation.msg_decision_case_partner',
                    case=case.rec_name, partner=statement.partner.rec_name))
    taken = Line.search([
            ('statement', '=', statement.id),
            ('case', 'in', [c.id for c in cases]),
            ('id', '!=', line.id),
            ('status', 'not in', ['missing', 'duplicate']),
            ], limit=1)
    if taken:
        other, = taken
        raise DecisionError(gettext(
                'partner_reconciliation.msg_decision_case_taken',
                case=other.case.rec_name, line=other.rec_name))


def _cover(line, cases):
    "Delete the lines of the cases missing at the partner: now covered"
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    Line.delete(Line.search([
                ('statement', '=', line.statement.id),
                ('case', 'in', [c.id for c in cases]),
                ('status', '=', 'missing'),
                ]))


def _set_case(line, case, record, amount, tolerance):
    expected = record.amount if record else None
    line.case = case
    line.billed_line = record.billed_line if record else None
    line.amount = amount
    line.expected_amount = expected
    line.difference = (amount or 0) - (expected or 0)
    line.status = amount_status(amount, expected, tolerance)
    line.rule = 'manual'


def _record_decision(line, action, details, reason):
    "Record the decision and set the statement's state from its lines"
    pool = Pool()
    Decision = pool.get('reconciliation.decision')
    Statement = pool.get('reconciliation.statement')
    Decision(
        statement=line.statement, line=line, action=action,
        details=details, reason=reason).save()
    Statement.update_state([Statement(line.statement.id)])


def _check_finance(wizard):
    "Decisions are finance's, whatever the context of the call says"
    check_user_groups(
        ['group_finance', 'group_network_admin'],
        wizard_label(wizard.__name__))


class MatchStart(ModelView):
    "Match a Statement Line"
    __name__ = 'reconciliation.match.start'
    partner = fields.Many2One('party.party', "Partner", readonly=True)
    case = fields.Many2One(
        'case.case', "Case", required=True,
        domain=[('procedure.partner', '=', Eval('partner', -1))])
    reason = fields.Text("Reason")


class Match(Wizard):
    "Match a Statement Line"
    __name__ = 'reconciliation.match'
    start = StateView(
        'reconciliation.match.start',
        'partner_reconciliation.match_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Match", 'match', 'tryton-ok', default=True),
            ])
    match = StateTransition()

    def default_start(self, fields):
        return {
            'partner': self.record.statement.partner.id,
            'case': self.record.case.id if self.record.case else None,
            }

    def transition_match(self):
        _check_finance(self)
        line, case = self.record, self.start.case
        _check_cases(line, [case])
        _cover(line, [case])
        record = _records(line.statement, [case]).get(case.id)
        _set_case(line, case, record, line.amount,
            line.statement.profile.tolerance)
        line.save()
        _record_decision(line, 'match', gettext(
                'partner_reconciliation.msg_decision_match_details',
                case=case.rec_name), self.start.reason)
        return 'end'


class SplitStart(ModelView):
    "Split a Statement Line"
    __name__ = 'reconciliation.split.start'
    partner = fields.Many2One('party.party', "Partner", readonly=True)
    amount = fields.Numeric("Amount (XOF)", readonly=True)
    cases = fields.Many2Many(
        'case.case', None, None, "Cases", required=True,
        domain=[('procedure.partner', '=', Eval('partner', -1))],
        help="The cases the line covers: each one gets the network's "
        "amount, the last one the rest of the line's amount.")
    reason = fields.Text("Reason")


class Split(Wizard):
    "Split a Statement Line"
    __name__ = 'reconciliation.split'
    start = StateView(
        'reconciliation.split.start',
        'partner_reconciliation.split_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Split", 'split', 'tryton-ok', default=True),
            ])
    split = StateTransition()

    def default_start(self, fields):
        return {
            'partner': self.record.statement.partner.id,
            'amount': self.record.amount,
            }

    def transition_split(self):
        _check_finance(self)
        pool = Pool()
        Line = pool.get('reconciliation.statement.line')
        line, cases = self.record, list(self.start.cases)
        if len(cases) < 2:
            raise DecisionError(gettext(
                    'partner_reconciliation.msg_decision_split_two',
                    line=line.rec_name))
        _check_cases(line, cases)
        _cover(line, cases)
        records = _records(line.statement, cases)
        tolerance = line.statement.profile.tolerance
        rest = line.amount or Decimal(0)
        parts = []
        for index, case in enumerate(cases):
            record = records.get(case.id)
            if index == len(cases) - 1:
                amount = rest
            else:
                amount = record.amount if record else Decimal(0)
                rest -= amount
            part = line if index == 0 else Line(
                statement=line.statement, row_number=line.row_number,
                reference=line.reference, date=line.date,
                citizen=line.citizen, case_number=line.case_number,
                found_status=line.found_status, split_from=line)
            _set_case(part, case, record, amount, tolerance)
            parts.append(part)
        Line.save(parts)
        _record_decision(line, 'split', gettext(
                'partner_reconciliation.msg_decision_split_details',
                cases=', '.join(c.rec_name for c in cases)),
            self.start.reason)
        return 'end'


class ResolveStart(ModelView):
    "Resolve a Statement Line"
    __name__ = 'reconciliation.resolve.start'
    reason = fields.Text("Reason", required=True)


class Resolve(Wizard):
    "Resolve a Statement Line"
    __name__ = 'reconciliation.resolve'
    start = StateView(
        'reconciliation.resolve.start',
        'partner_reconciliation.resolve_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Resolve", 'resolve', 'tryton-ok', default=True),
            ])
    resolve = StateTransition()

    def transition_resolve(self):
        _check_finance(self)
        line = self.record
        if line.statement.state == 'done':
            raise DecisionError(gettext(
                    'partner_reconciliation.msg_decision_statement_done',
                    statement=line.statement.rec_name))
        details = gettext(
            'partner_reconciliation.msg_decision_resolve_details',
            status=line.status_string)
        line.status = 'resolved'
        line.resolution = self.start.reason
        line.save()
        _record_decision(line, 'resolve', details, self.start.reason)
        return 'end'
