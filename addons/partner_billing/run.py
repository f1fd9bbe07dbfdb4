"""Billing runs: bill a period to the partners, one draft customer invoice
per partner, with the cases behind each line kept."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Cast, Literal, Null
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from service_network.bulk_tables import UncheckedReferencesMixin
from service_network.procedure import XOF_DIGITS
from service_network.protection import check_user_groups, wizard_label

from .agreement import BASES, CASE_BASES
from .events import (
    active_sites,
    aggregate_lines_events,
    lines_events,
    pending_credits,
    to_credit,
)
from .exceptions import BillingRunError, NothingToBillError

AMOUNT_DIGITS = (16, 2)
# The index of the cases of an invoice line, on PostgreSQL
BRIN_INDEX = 'billing_line_case_invoice_line_brin'


class Run(Workflow, ModelSQL, ModelView):
    "Billing run of partner fees for a period"
    __name__ = 'billing.run'
    _draft = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    start_date = fields.Date("From", required=True, states=_draft)
    end_date = fields.Date(
        "To", required=True, states=_draft,
        domain=[('end_date', '>=', Eval('start_date'))])
    partner = fields.Many2One(
        'party.party', "Partner", states=_draft,
        domain=[('partner_kind', '!=', None)],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Leave empty to bill every partner with an active agreement.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)
    invoices = fields.One2Many(
        'account.invoice', 'billing_run', "Invoices", readonly=True)
    invoice_count = fields.Function(
        fields.Integer("Invoices Created"), 'get_summary')
    case_count = fields.Function(
        fields.Integer("Cases Billed"), 'get_summary')
    untaxed_amount = fields.Function(
        fields.Numeric("Untaxed", digits=XOF_DIGITS), 'get_summary')
    tax_amount = fields.Function(
        fields.Numeric("Taxes", digits=XOF_DIGITS), 'get_summary')
    total_amount = fields.Function(
        fields.Numeric("Total", digits=XOF_DIGITS), 'get_summary')

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_date', 'DESC'))
        cls._transitions |= {('draft', 'done')}
        cls._buttons.update({
                'process': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def get_summary(cls, runs, names):
        "Return what each run did: invoices, cases billed and their totals"
        pool = Pool()
        LineCase = pool.get('billing.line.case')
        result = {name: {r.id: None for r in runs} for name in names}
        for run in runs:
            invoices = run.invoices
            values = {
                'invoice_count': len(invoices),
                # a case billed on two bases counts once
                'case_count': len({line['case'] for line in
                        LineCase.search_read([
                                ('invoice_line.invoice.billing_run', '=',
                                    run.id),
                                ], fields_names=['case'])}),
                'untaxed_amount': sum(
                    (i.untaxed_amount for i in invoices), Decimal(0)),
                'tax_amount': sum(
                    (i.tax_amount for i in invoices), Decimal(0)),
                'total_amount': sum(
                    (i.total_amount for i in invoices), Decimal(0)),
                }
            for name in names:
                result[name][run.id] = values[name]
        return result

    def get_rec_name(self, name):
        name = f'{self.start_date:%d/%m/%Y} - {self.end_date:%d/%m/%Y}'
        if self.partner:
            name += f' {self.partner.rec_name}'
        return name

    @classmethod
    def check_modification(cls, mode, runs, values=None, external=False):
        super().check_modification(
            mode, runs, values=values, external=external)
        if mode == 'delete':
            for run in runs:
                if run.state != 'draft':
                    raise BillingRunError(gettext(
                            'partner_billing.msg_run_delete_done',
                            run=run.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def process(cls, runs):
        # Two runs billing the same cases collide on the (case, basis)
        # uniqueness, so the second fails whole. No table lock: Tryton
        # acquires it by restarting the transaction, which replayed the
        # wizard's creation of the run.
        for run in runs:
            run.check_period()
            run.check_overlap()
        with without_check_access():
            for run in runs:
                if not run.bill():
                    raise NothingToBillError(gettext(
                            'partner_billing.msg_run_nothing_to_bill',
                            run=run.rec_name))

    def check_period(self):
        if self.end_date >= Pool().get('ir.date').today():
            raise BillingRunError(gettext(
                    'partner_billing.msg_run_period_not_closed',
                    run=self.rec_name))

    def check_overlap(self):
        "Refuse a run overlapping another one still in progress"
        domain = [
            ('id', '!=', self.id),
            ('company', '=', self.company.id),
            ('state', '=', 'draft'),
            ('start_date', '<=', self.end_date),
            ('end_date', '>=', self.start_date),
            ]
        if self.partner:
            domain.append(['OR',
                    ('partner', '=', None),
                    ('partner', '=', self.partner.id),
                    ])
        others = self.search(domain, limit=1)
        if others:
            other, = others
            raise BillingRunError(gettext(
                    'partner_billing.msg_run_overlap',
                    run=self.rec_name, other=other.rec_name))

    def bill(self):
        """Create the invoices of the run and link the cases to their lines

        The cases of every line billed per case are aggregated in one query
        (per basis), the invoices and their lines are created with one
        create call each, their taxes computed once, and the cases linked
        with one INSERT ... SELECT (per basis)."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        periods = self._periods()
        # the case lines that share a basis and a period share one query
        groups = defaultdict(list)
        for _, lines in periods:
            for agreement_line, start, end in lines:
                if agreement_line.basis in CASE_BASES:
                    groups[agreement_line.basis, start, end].append(
                        agreement_line)
        aggregates = {}
        for key, group in groups.items():
            events = lines_events(*key, group)
            if events is not None:
                aggregates.update(aggregate_lines_events(events))
        credits = pending_credits(
            self.company, [partner for partner, _ in periods])
        names = self._browse_names(aggregates)

        invoices, vlists, months = [], [], []
        for partner, lines in periods:
            invoice = self._get_invoice(partner)
            vlist = []
            for agreement_line, start, end in lines:
                if agreement_line.basis in CASE_BASES:
                    vlist.extend(self._case_lines(
                            agreement_line,
                            aggregates.get(agreement_line.id, []), names))
                else:
                    vlist.extend(self._monthly_lines(
                            agreement_line, start, end, months))
            vlist.extend(self._credit_lines(credits.get(partner.id, [])))
            if vlist:
                invoices.append(invoice)
                vlists.append(vlist)
        if not invoices:
            return []
        account = self._revenue_account()
        Invoice.save(invoices)
        vlist = [{**values, 'account': account, 'invoice': invoice.id}
            for invoice, vlist in zip(invoices, vlists, strict=True)
            for values in vlist]
        lines = InvoiceLine.create(vlist)
        invoices = Invoice.browse([i.id for i in invoices])
        # the taxes of the invoices with a taxed line: the others have none,
        # as computed when they were created (their 552 lines a month took
        # 0.12 s to find it again)
        Invoice.update_taxes([invoice
                for invoice, values in zip(invoices, vlists, strict=True)
                if any(taxes for line in values
                    for _, taxes in line['taxes'])])
        self._link(groups, invoices, vlist, lines, months)
        return invoices

    def _periods(self):
        """Return the partners to bill, by name, with the lines of their
        active agreements and the part of the run's period each covers:
        [(partner, [(agreement line, start, end)])]"""
        pool = Pool()
        Agreement = pool.get('billing.agreement')
        agreements = defaultdict(list)
        for agreement in Agreement.active_for(
                self.company, self.start_date, self.end_date, self.partner):
            agreements[agreement.partner].append(agreement)
        periods = []
        for partner in sorted(agreements, key=lambda p: p.rec_name):
            lines = []
            for agreement in agreements[partner]:
                start = max(self.start_date, agreement.start_date)
                end = min(self.end_date, agreement.end_date or self.end_date)
                lines.extend(
                    (agreement_line, start, end)
                    for agreement_line in agreement.lines)
            periods.append((partner, lines))
        return periods

    @classmethod
    def _link(cls, groups, invoices, vlist, lines, months):
        """Link the cases to the lines created (lines, from vlist), the
        billed lines to their credit lines and the months to the lines of
        the monthly fee"""
        pool = Pool()
        LineCase = pool.get('billing.line.case')
        LineMonth = pool.get('billing.line.month')
        billed = defaultdict(dict)
        monthly = {}
        for line, values in zip(lines, vlist, strict=True):
            if values.get('billing_credited_line'):
                continue
            key = values['billing_agreement_line'], values['billing_site']
            if values['billing_basis'] in CASE_BASES:
                billed[key[0]][
                    key[0], values['billing_procedure'], key[1]] = line.id
            else:
                monthly[key] = line
        for (basis, start, end), group in groups.items():
            invoice_lines = {k: v for line in group
                for k, v in billed[line.id].items()}
            if invoice_lines:
                LineCase.link_events(lines_events(
                        basis, start, end, group, invoice_lines), basis)
        LineCase.mark_credited(invoices)
        LineMonth.create([{
                    'invoice_line': monthly[agreement_line.id, site].id,
                    'agreement_line': agreement_line.id, 'site': site,
                    'month': month,
                    } for agreement_line, site, month in months])

    def _browse_names(self, aggregates):
        """Return the procedures and sites of the aggregates, read at once
        (the instances browsed together share their cache)"""
        pool = Pool()
        Procedure = pool.get('network.procedure')
        Site = pool.get('network.site')
        procedures, sites = set(), set()
        for rows in aggregates.values():
            for procedure, site, _, _ in rows:
                procedures.add(procedure)
                sites.add(site)
        return {
            'procedures': {
                p.id: p for p in Procedure.browse(sorted(procedures))},
            'sites': {s.id: s for s in Site.browse(sorted(sites))},
            }

    def _get_invoice(self, partner):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        with Transaction().set_context(company=self.company.id):
            partner = partner.__class__(partner.id)
            invoice = Invoice(
                company=self.company, type='out', party=partner,
                currency=self.company.currency, invoice_date=self.end_date,
                account=partner.account_receivable_used,
                invoice_address=partner.address_get(type='invoice'),
                payment_term=partner.customer_payment_term,
                billing_run=self)
        invoice.set_journal()
        invoice.description = gettext(
            'partner_billing.msg_invoice_description',
            start=self.start_date.strftime('%d/%m/%Y'),
            end=self.end_date.strftime('%d/%m/%Y'))
        if not invoice.account:
            raise BillingRunError(gettext(
                    'partner_billing.msg_run_partner_receivable',
                    partner=partner.rec_name))
        if not invoice.invoice_address:
            raise BillingRunError(gettext(
                    'partner_billing.msg_run_partner_address',
                    partner=partner.rec_name))
        return invoice

    def _revenue_account(self):
        "Return the id of the revenue account of the lines"
        pool = Pool()
        Configuration = pool.get('billing.configuration')
        account = Configuration(1).revenue_account
        if not account:
            raise BillingRunError(gettext(
                    'partner_billing.msg_run_no_revenue_account'))
        return account.id

    def _new_line(self, agreement_line, **values):
        """Return the values of a new invoice line of the run for
        agreement_line (the create values, without invoice and account)"""
        values = {
            'type': 'line', 'company': self.company.id,
            'currency': self.company.currency.id,
            'billing_agreement_line': (
                agreement_line.id if agreement_line else None),
            **values,
            }
        if agreement_line:
            values.setdefault('taxes',
                [agreement_line.tax.id] if agreement_line.tax else [])
            values.setdefault('billing_basis', agreement_line.basis)
        values['taxes'] = [('add', values.get('taxes', []))]
        return values

    def _case_lines(self, agreement_line, aggregates, names):
        """Return the invoice lines of the cases of agreement_line, one per
        procedure and site of aggregates (aggregate_lines_events); names
        holds their procedures and sites (_browse_names)"""
        currency = self.company.currency
        basis_string = agreement_line.basis_string
        lines = []
        for procedure, site, count, total in aggregates:
            procedure = names['procedures'][procedure]
            site = names['sites'][site]
            if agreement_line.basis == 'collected':
                quantity, unit_price = 1, currency.round(total)
            else:
                quantity, unit_price = count, agreement_line.amount
            lines.append(self._new_line(
                    agreement_line,
                    description=gettext(
                        'partner_billing.msg_invoice_line_cases',
                        procedure=procedure.rec_name, site=site.name,
                        basis=basis_string, count=count),
                    quantity=quantity, unit_price=unit_price,
                    billing_procedure=procedure.id, billing_site=site.id))
        return lines

    def _monthly_lines(self, agreement_line, start, end, months):
        """Return the lines of the fixed monthly fee of the sites active in
        the months that start in the period and are not billed yet"""
        pool = Pool()
        LineMonth = pool.get('billing.line.month')
        Site = pool.get('network.site')
        billed = {(m.site.id, m.month) for m in LineMonth.search([
                    ('agreement_line', '=', agreement_line.id),
                    ])}
        per_site = defaultdict(list)
        month = start.replace(day=1)
        if month < start:
            month += relativedelta(months=1)
        while month <= end:
            month_end = month + relativedelta(months=1, days=-1)
            for site in active_sites(agreement_line, month, month_end):
                if (site, month) not in billed:
                    per_site[site].append(month)
            month += relativedelta(months=1)
        lines = []
        for site, site_months in sorted(per_site.items()):
            site = Site(site)
            line = self._new_line(
                agreement_line,
                description=gettext(
                    'partner_billing.msg_invoice_line_monthly',
                    site=site.name, months=', '.join(
                        m.strftime('%m/%Y') for m in site_months)),
                quantity=len(site_months), unit_price=agreement_line.amount,
                billing_procedure=(agreement_line.procedure.id
                    if agreement_line.procedure else None),
                billing_site=site.id)
            lines.append(line)
            months.extend((agreement_line, site.id, m) for m in site_months)
        return lines

    def _credit_lines(self, credits):
        """Return the credit lines of the billed cases cancelled since:
        credits are the partner's (pending_credits)"""
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        currency = self.company.currency
        lines = []
        for line_id, count, total in credits:
            billed = InvoiceLine(line_id)
            if billed.billing_basis == 'collected':
                quantity, unit_price = -1, currency.round(total)
            else:
                quantity, unit_price = -count, billed.unit_price
            lines.append(self._new_line(
                    billed.billing_agreement_line,
                    description=gettext(
                        'partner_billing.msg_invoice_line_credit',
                        line=billed.description, count=count),
                    quantity=quantity, unit_price=unit_price,
                    taxes=[t.id for t in billed.taxes],
                    billing_basis=billed.billing_basis,
                    billing_procedure=(billed.billing_procedure.id
                        if billed.billing_procedure else None),
                    billing_site=(billed.billing_site.id
                        if billed.billing_site else None),
                    billing_credited_line=billed.id))
        return lines

    @classmethod
    def bill_last_month(cls):
        "Bill the previous month to every partner (scheduled task)"
        first = Pool().get('ir.date').today().replace(day=1)
        start = first - relativedelta(months=1)
        end = first - dt.timedelta(days=1)
        if cls.search([
                    ('start_date', '=', start), ('end_date', '=', end),
                    ('partner', '=', None), ('state', '=', 'done'),
                    ]):
            return []
        run = cls(start_date=start, end_date=end)
        run.save()
        try:
            cls.process([run])
        except NothingToBillError:
            # a month without any fee keeps no run
            cls.delete([run])
            return []
        return [run]


class LineCase(UncheckedReferencesMixin, ModelSQL, ModelView):
    "Case billed on an invoice line"
    __name__ = 'billing.line.case'
    # the 200,000 links of a month in one INSERT ... SELECT: the two foreign
    # keys took 1.4 s of a 3.5 s run (service_network.bulk_tables); the
    # credit line's, empty on every link inserted, still fired its check
    # on each (0.05-0.1 s of a month)
    _unchecked_references = frozenset({'case', 'invoice_line', 'credit_line'})
    case = fields.Many2One(
        'case.case', "Case", required=True, ondelete='RESTRICT')
    basis = fields.Selection(BASES, "Basis", required=True)
    invoice_line = fields.Many2One(
        'account.invoice.line', "Invoice Line", required=True,
        ondelete='CASCADE')
    # the invoice line's: a column of its own cost a foreign-key check on
    # each of the 200,000 links of a month
    agreement_line = fields.Function(fields.Many2One(
            'billing.agreement.line', "Agreement Line"),
        'get_agreement_line', searcher='search_agreement_line')
    amount = fields.Numeric("Amount (XOF)", digits=AMOUNT_DIGITS)
    credit_line = fields.Many2One(
        'account.invoice.line', "Credit Line", ondelete='SET NULL',
        help="The line that credited the case after it was cancelled.")
    procedure = fields.Function(
        fields.Many2One('network.procedure', "Procedure"), 'get_case_field')
    site = fields.Function(
        fields.Many2One('network.site', "Site"), 'get_case_field')
    case_state = fields.Function(
        fields.Selection('get_case_states', "Case State"), 'get_case_field')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('case_basis_unique', Unique(t, t.case, t.basis),
                'partner_billing.msg_line_case_unique'),
            ]

    @classmethod
    def __setup_indexes__(cls):
        # Tryton indexes the Many2One read by a One2Many: credit_line
        # (billing_credited_cases) without the NULL of the lines not
        # credited, and invoice_line (billing_cases). No other index: each
        # one slows the insertion of the links
        super().__setup_indexes__()
        if backend.name == 'postgresql':
            # the cases of a line are found by the BRIN index of __register__
            t = cls.__table__()
            cls._sql_indexes.discard(
                Index(t, (t.invoice_line, Index.Range()), where=None))

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        table_h = cls.__table_handler__(module)
        # migration from 8.0.1.0.0: the agreement line is the invoice line's
        table_h.drop_column('agreement_line')
        if backend.name == 'postgresql':
            # The links of a run are inserted together, after the lines they
            # point to: a BRIN index (the range of lines of each block of
            # pages) finds a line's cases among its run's pages, and costs
            # next to nothing to keep, where a B-tree index cost 0.15 s of
            # the 200,000 links of a month. Tryton's Index has no BRIN; its
            # name keeps Tryton from dropping it as one of its own.
            cursor = Transaction().connection.cursor()
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{BRIN_INDEX}" '
                f'ON "{cls._table}" USING brin ("invoice_line")')

    @classmethod
    def get_case_states(cls):
        pool = Pool()
        Case = pool.get('case.case')
        return Case.fields_get(['state'])['state']['selection']

    def get_rec_name(self, name):
        return self.case.rec_name

    def get_agreement_line(self, name):
        line = self.invoice_line.billing_agreement_line
        return line.id if line else None

    @classmethod
    def search_agreement_line(cls, name, clause):
        return [('invoice_line.billing_agreement_line',) + tuple(clause[1:])]

    def get_case_field(self, name):
        value = getattr(self.case, name.replace('case_', ''))
        return value.id if hasattr(value, 'id') else value

    @classmethod
    def link_events(cls, events, basis):
        """Link the events to their invoice lines in one INSERT ... SELECT:
        events is the query of lines_events on basis with invoice_lines"""
        if events is None:
            return
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        link = cls.__table__()
        cursor.execute(*link.insert(
                columns=[link.case, link.basis, link.invoice_line,
                    link.amount, link.create_uid, link.create_date],
                values=events.select(
                    events.case, Cast(Literal(basis), 'VARCHAR'),
                    events.invoice_line, events.amount,
                    Cast(Literal(transaction.user), 'INTEGER'),
                    CurrentTimestamp())))

    @classmethod
    def mark_credited(cls, invoices):
        """Link the billed cases cancelled since to the credit lines of
        invoices, in one UPDATE"""
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        transaction = Transaction()
        invoice_line = InvoiceLine.__table__()
        credit = InvoiceLine.__table__()
        link = cls.__table__()
        cursor = transaction.connection.cursor()
        ids = [i.id for i in invoices]
        if not ids:
            return
        credit_of = credit.select(credit.id,
            where=(credit.billing_credited_line == link.invoice_line)
            & credit.invoice.in_(ids))
        cursor.execute(*link.update(
                columns=[link.credit_line, link.write_uid, link.write_date],
                values=[credit_of, Cast(Literal(transaction.user), 'INTEGER'),
                    CurrentTimestamp()],
                where=to_credit(link)
                & link.invoice_line.in_(invoice_line.select(
                        invoice_line.billing_credited_line,
                        where=invoice_line.invoice.in_(ids)
                        & (invoice_line.billing_credited_line != Null)))))


class LineMonth(ModelSQL, ModelView):
    "Month of a site billed on an invoice line"
    __name__ = 'billing.line.month'
    invoice_line = fields.Many2One(
        'account.invoice.line', "Invoice Line", required=True,
        ondelete='CASCADE')
    agreement_line = fields.Many2One(
        'billing.agreement.line', "Agreement Line", required=True,
        ondelete='RESTRICT')
    site = fields.Many2One(
        'network.site', "Site", required=True, ondelete='RESTRICT')
    month = fields.Date("Month", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('month_unique', Unique(t, t.agreement_line, t.site, t.month),
                'partner_billing.msg_line_month_unique'),
            ]


class RunStart(ModelView):
    "Bill Partners"
    __name__ = 'billing.run.start'
    start_date = fields.Date("From", required=True)
    end_date = fields.Date(
        "To", required=True,
        domain=[('end_date', '>=', Eval('start_date'))])
    partner = fields.Many2One(
        'party.party', "Partner", domain=[('partner_kind', '!=', None)],
        help="Leave empty to bill every partner.")

    @classmethod
    def default_start_date(cls):
        today = Pool().get('ir.date').today()
        return today.replace(day=1) - relativedelta(months=1)

    @classmethod
    def default_end_date(cls):
        today = Pool().get('ir.date').today()
        return today.replace(day=1) - dt.timedelta(days=1)


class RunWizard(Wizard):
    "Bill Partners"
    __name__ = 'billing.run.wizard'
    start = StateView(
        'billing.run.start', 'partner_billing.run_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Bill", 'bill', 'tryton-ok', default=True),
            ])
    bill = StateAction('partner_billing.act_run_form')

    def do_bill(self, action):
        pool = Pool()
        Run = pool.get('billing.run')
        # Wizards run without access checks: billing is finance's
        check_user_groups(
            ['group_finance', 'group_network_admin'],
            wizard_label(self.__name__))
        run = Run(
            start_date=self.start.start_date, end_date=self.start.end_date,
            partner=self.start.partner)
        run.save()
        # A run with nothing to bill raises: the request is rolled back
        # and keeps no run
        Run.process([run])
        # the run opens on what it did, with its invoices
        action['views'].reverse()
        return action, {'res_id': [run.id]}


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('billing.run|bill_last_month', "Bill Partners for Last Month"))
