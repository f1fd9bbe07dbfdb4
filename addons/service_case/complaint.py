"""Complaints (réclamations) about a case or a site, answered within a
delay in working days."""

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval

from service_network.protection import ReadonlyGuardMixin

from .exceptions import ComplaintError
from .workflow import current_employee


class Complaint(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Complaint"
    __name__ = 'case.complaint'
    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    site = fields.Many2One(
        'network.site', "Site", required=True, states=_draft)
    case = fields.Many2One(
        'case.case', "Case", states=_draft,
        domain=[('site', '=', Eval('site', -1))],
        help="The case complained about, if any.")
    citizen = fields.Many2One(
        'party.party', "Citizen", states=_draft,
        domain=[('partner_kind', '=', None)])
    channel = fields.Selection([
            ('counter', "Counter"),
            ('phone', "Phone"),
            ('email', "Email"),
            ('online', "Online"),
            ('letter', "Letter"),
            ], "Channel", required=True, states=_draft)
    description = fields.Text(
        "Description", required=True, states=_draft)
    opened_on = fields.Date("Opened on", readonly=True)
    due_date = fields.Date(
        "Answer Expected", readonly=True,
        help="The opening date plus the answer delay in working days.")
    answer = fields.Text(
        "Answer",
        states={
            'readonly': Eval('state').in_(['answered', 'closed']),
            'invisible': Eval('state') == 'draft',
            'required': Eval('state').in_(['answered', 'closed']),
            })
    answered_on = fields.Date("Answered on", readonly=True)
    answered_by = fields.Many2One(
        'company.employee', "Answered by", readonly=True)
    late = fields.Function(
        fields.Boolean("Late", help="Answered after the expected date, or "
            "still unanswered past it."),
        'get_late', searcher='search_late')
    state = fields.Selection([
            ('draft', "Draft"),
            ('open', "Open"),
            ('answered', "Answered"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.site, Index.Range()),
                    (t.opened_on, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                # deleting a case looks its complaints up
                Index(t, (t.case, Index.Range()), where=t.case != Null),
                })
        cls._order.insert(0, ('opened_on', 'DESC NULLS FIRST'))
        cls._transitions |= {
            ('draft', 'open'),
            ('open', 'answered'),
            ('answered', 'closed'),
            }
        cls._buttons.update({
                'open': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'do_answer': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'answered',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_channel(cls):
        return 'counter'

    @classmethod
    def default_site(cls):
        pool = Pool()
        User = pool.get('res.user')
        sites = User.get_sites()
        if len(sites) == 1:
            return sites[0]

    def get_rec_name(self, name):
        return self.number or f'({self.id})'

    @fields.depends('case', 'site', 'citizen')
    def on_change_case(self):
        if self.case:
            self.site = self.case.site
            self.citizen = self.case.citizen

    def get_late(self, name):
        if not self.due_date:
            return False
        answered_on = self.answered_on or Pool().get('ir.date').today()
        return answered_on > self.due_date

    @classmethod
    def search_late(cls, name, clause):
        _, operator, value = clause
        table = cls.__table__()
        today = Pool().get('ir.date').today()
        late = table.select(table.id, where=(
                ((table.state == 'open') & (table.due_date < today))
                | (table.state.in_(['answered', 'closed'])
                    & (table.answered_on > table.due_date))))
        positive = (operator == '=') == bool(value)
        return [('id', 'in' if positive else 'not in', late)]

    @classmethod
    def copy(cls, complaints, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'opened_on', 'due_date', 'answer',
                'answered_on', 'answered_by']:
            default.setdefault(name, None)
        return super().copy(complaints, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def open(cls, complaints):
        pool = Pool()
        Configuration = pool.get('case.configuration')
        Holiday = pool.get('network.holiday')
        Numbering = pool.get('case.numbering')
        opened = Pool().get('ir.date').today()
        due_date = Holiday.add_working_days(
            opened, Configuration(1).complaint_delay)
        for complaint in complaints:
            number = Numbering.next_number(
                complaint.site, f'complaint-{opened.year}')
            complaint.number = (
                f'REC-{complaint.site.code}-{opened.year}-{number:05d}')
            complaint.opened_on = opened
            complaint.due_date = due_date
        cls.save(complaints)

    @classmethod
    @ModelView.button
    @Workflow.transition('answered')
    def do_answer(cls, complaints):
        for complaint in complaints:
            if not (complaint.answer or '').strip():
                raise ComplaintError(gettext(
                        'service_case.msg_complaint_answer_required',
                        complaint=complaint.rec_name))
        employee = current_employee()
        cls.write(complaints, {
                'answered_on': Pool().get('ir.date').today(),
                'answered_by': employee.id if employee else None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, complaints):
        pass
