"""Reminders (relances) to the partner administrations for their overdue
invoices: Tryton's dunnings, with levels that have a name and a wording,
and the letter printed to PDF when they are processed."""
from collections import namedtuple
from itertools import groupby

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import StateReport

from partner_billing.invoice import BillingInvoiceReport

LetterRow = namedtuple('LetterRow', [
        'dunning', 'invoice', 'number', 'date', 'maturity_date', 'amount',
        'amount_due', 'days_late'])
Letter = namedtuple('Letter', [
        'company', 'party', 'level', 'rows', 'total_due', 'date'])


class Level(metaclass=PoolMeta):
    __name__ = 'account.dunning.level'
    name = fields.Char(
        "Name", translate=True,
        help="The title of the reminder letters of this level, "
        "e.g. First Reminder.")
    letter_text = fields.Text(
        "Letter Text", translate=True,
        help="The paragraph of the letter that asks the partner to pay, "
        "printed above the list of the overdue invoices.")

    def get_rec_name(self, name):
        # "0@Partner Administrations" says nothing to finance
        return self.name or super().get_rec_name(name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('name',) + tuple(clause[1:])]


class MoveLine(metaclass=PoolMeta):
    __name__ = 'account.move.line'

    @property
    def dunning_procedure(self):
        """The party's procedure; for a partner administration without one,
        the default of the accounting configuration (the partners of the
        catalogue exist before the procedure does)"""
        pool = Pool()
        Configuration = pool.get('account.configuration')
        procedure = super().dunning_procedure
        if not procedure and self.party and self.party.partner_kind:
            procedure = Configuration(1).get_multivalue(
                'default_dunning_procedure')
        return procedure


class ProcessDunning(metaclass=PoolMeta):
    "Processing the reminders prints their letters"
    __name__ = 'account.dunning.process'
    print_letter = StateReport('partner_dunning.letter')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._actions.append('print_letter')

    def do_print_letter(self, action):
        dunnings = [d for d in self.records if not d.blocked]
        if dunnings:
            return action, {'ids': [d.id for d in dunnings]}

    def transition_print_letter(self):
        return self.next_state('print_letter')


class DunningLetter(Report):
    """The reminder letter to a partner administration: one letter per
    partner with its overdue invoices, an HTML template rendered to PDF by
    weasyprint, in the partner's language"""
    __name__ = 'partner_dunning.letter'

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Dunning = pool.get('account.dunning')
        # the file is named after the partner, not after the dunnings'
        # levels and move lines
        with Transaction().set_context(with_rec_name=False):
            extension, content, direct, name = super().execute(ids, data)
        parties = {d.party for d in Dunning.browse(ids)}
        if len(parties) == 1:
            party, = parties
            name = f'{name}-{party.rec_name}'
        return extension, content, direct, name

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Date = pool.get('ir.date')
        context = super().get_context(records, header, data)
        # the partner invoice's formats, words and bank details
        BillingInvoiceReport.add_context(context)
        context['letters'] = cls.letters(records, Date.today())
        context['in_language'] = cls.in_language
        return context

    @classmethod
    def in_language(cls, record, lang):
        "Return record read in lang, the database's language if None"
        pool = Pool()
        Configuration = pool.get('ir.configuration')
        code = lang.code if lang else Configuration.get_language()
        with Transaction().set_context(language=code):
            return record.__class__(record.id)

    @classmethod
    def letters(cls, dunnings, date):
        """Return one Letter per company and party of the dunnings, at the
        highest level reached, its rows ordered by due date"""
        def key(dunning):
            return dunning.company.id, dunning.party.id

        letters = []
        for _, group in groupby(sorted(dunnings, key=key), key=key):
            group = list(group)
            rows = sorted(
                (cls.letter_row(d, date) for d in group),
                key=lambda r: (r.maturity_date, r.number or ''))
            level = max(
                (d.level for d in group),
                key=lambda level: level.procedure.levels.index(level))
            letters.append(Letter(
                    company=group[0].company, party=group[0].party,
                    level=level, rows=rows,
                    total_due=sum(r.amount_due for r in rows),
                    date=date))
        return letters

    @classmethod
    def letter_row(cls, dunning, date):
        "Return the LetterRow of the receivable line a dunning is for"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        line = dunning.line
        invoice = line.move_origin
        amount_due = dunning.amount
        if isinstance(invoice, Invoice):
            number = invoice.number
            invoice_date = invoice.invoice_date
            amount = invoice.total_amount
            # the payments of an invoice paid in part are not reconciled
            # with its line yet
            if len(invoice.lines_to_pay) == 1:
                amount_due = invoice.amount_to_pay
        else:
            invoice = None
            number = line.move.number or line.description
            invoice_date = line.date
            amount = dunning.amount
        return LetterRow(
            dunning=dunning, invoice=invoice, number=number,
            date=invoice_date, maturity_date=line.maturity_date,
            amount=amount, amount_due=amount_due,
            days_late=(date - line.maturity_date).days)
