"""The billable events of an agreement line, as SQL queries.

The cases come from service_case's query builders (service_case.events);
this module adds what billing knows: the procedures of each agreement line,
its amounts and the cases already billed. Every query works on the whole
period at once (no loop over cases): a billing run over 200,000 cases costs
a few aggregate queries and one INSERT ... SELECT per fee-schedule line.
"""
from decimal import Decimal

from sql import Cast, Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce

from trytond.pool import Pool
from trytond.transaction import Transaction

from service_case.events import (
    billable_events,
    cancelled_cases,
    submitted_cases,
)

# The event of a case that each basis bills
CASE_EVENTS = {
    'delivered': 'delivered',
    'transmitted': 'transmitted',
    'collected': 'paid',
    }


def line_procedures(line):
    """The procedure of the line, or the query of every procedure of the
    partner without a line of its own on the same basis"""
    pool = Pool()
    Procedure = pool.get('network.procedure')
    if line.procedure:
        return line.procedure.id
    procedure = Procedure.__table__()
    where = procedure.partner == line.agreement.partner.id
    specific = [other.procedure.id for other in line.agreement.lines
        if other.procedure and other.basis == line.basis]
    if specific:
        where &= ~procedure.id.in_(specific)
    return procedure.select(procedure.id, where=where)


def case_events(line, start, end):
    """Return the query of the events of line between start and end that
    are not billed yet: columns case, procedure, site and amount"""
    pool = Pool()
    LineCase = pool.get('billing.line.case')
    link = LineCase.__table__()
    if line.basis not in CASE_EVENTS:
        raise ValueError(f"{line.basis} is not billed per case")
    events = billable_events(
        CASE_EVENTS[line.basis], start, end,
        procedures=line_procedures(line))
    if line.basis == 'collected':
        amount = events.collected * (line.rate / 100)
    else:
        # Typed, or PostgreSQL cannot tell the type of the parameter
        amount = Cast(Literal(line.amount or Decimal(0)), 'NUMERIC')
    return events.join(link, 'LEFT', condition=(link.case == events.case)
            & (link.basis == line.basis)
        ).select(
            events.case.as_('case'), events.procedure.as_('procedure'),
            events.site.as_('site'), amount.as_('amount'),
            where=link.id == Null)


def aggregate_events(line, start, end):
    """Return the events of line grouped by procedure and site:
    a list of (procedure id, site id, number of cases, total amount)"""
    events = case_events(line, start, end)
    query = events.select(
        events.procedure, events.site, Count(events.case),
        Coalesce(Sum(events.amount), 0),
        group_by=[events.procedure, events.site],
        order_by=[events.procedure, events.site])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    return [(procedure, site, count, Decimal(str(total)))
        for procedure, site, count, total in cursor]


def active_sites(line, month_start, month_end):
    "Return the ids of the sites with a case of the line in the month"
    cases = submitted_cases(
        month_start, month_end, procedures=line_procedures(line))
    cursor = Transaction().connection.cursor()
    cursor.execute(*cases.select(
            cases.site, group_by=[cases.site], order_by=[cases.site]))
    return [site for site, in cursor]


def to_credit(link):
    """The condition of the links of the billing.line.case table link whose
    case was cancelled after it was billed and that no line credits yet"""
    return (link.credit_line == Null) & link.case.in_(cancelled_cases())


def pending_credits(company, partner):
    """Return the billed lines of partner with cases cancelled since:
    a list of (invoice line id, number of cases, total amount)"""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    LineCase = pool.get('billing.line.case')
    invoice = Invoice.__table__()
    invoice_line = InvoiceLine.__table__()
    link = LineCase.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*link
        .join(invoice_line, condition=link.invoice_line == invoice_line.id)
        .join(invoice, condition=invoice_line.invoice == invoice.id)
        .select(
            link.invoice_line, Count(link.id), Sum(link.amount),
            where=to_credit(link)
            & (invoice.company == company.id)
            & (invoice.party == partner.id)
            & (invoice.state != 'cancelled'),
            group_by=[link.invoice_line], order_by=[link.invoice_line]))
    return [(line, count, Decimal(str(total)))
        for line, count, total in cursor]


def billed_cases():
    """Return the query of the cases billed and not credited, for the
    modules that compare them with partners' statements: columns case,
    amount (billed on every basis) and line (the first link)"""
    pool = Pool()
    LineCase = pool.get('billing.line.case')
    link = LineCase.__table__()
    return link.select(
        link.case.as_('case'), Sum(link.amount).as_('amount'),
        Min(link.id).as_('line'),
        where=link.credit_line == Null,
        group_by=[link.case])
