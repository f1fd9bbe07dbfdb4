"""The billable events of an agreement line, as SQL queries.

The cases come from service_case's query builders (service_case.events);
this module adds what billing knows: the procedures of each agreement line,
its amounts and the cases already billed. Every query works on the whole
period at once (no loop over cases): a billing run over 200,000 cases costs
one aggregate query and one INSERT ... SELECT per basis billed per case,
whatever the number of partners, procedures and sites.
"""
from collections import defaultdict
from decimal import Decimal

from sql import Cast, Null, Values
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


def line_procedure_ids(lines):
    """Return the ids of the procedures of each line, as line_procedures
    selects them, with one query for all the lines: {line: [ids]}"""
    pool = Pool()
    Procedure = pool.get('network.procedure')
    procedure = Procedure.__table__()
    partners = sorted({line.agreement.partner.id for line in lines
            if not line.procedure})
    of_partner = defaultdict(list)
    if partners:
        cursor = Transaction().connection.cursor()
        cursor.execute(*procedure.select(
                procedure.id, procedure.partner,
                where=procedure.partner.in_(partners),
                order_by=[procedure.id]))
        for procedure_id, partner in cursor:
            of_partner[partner].append(procedure_id)
    result = {}
    for line in lines:
        if line.procedure:
            result[line] = [line.procedure.id]
            continue
        specific = {other.procedure.id for other in line.agreement.lines
            if other.procedure and other.basis == line.basis}
        result[line] = [procedure_id
            for procedure_id in of_partner[line.agreement.partner.id]
            if procedure_id not in specific]
    return result


def lines_events(basis, start, end, lines, invoice_lines=None):
    """Return the query of the events of lines (agreement lines billed per
    case on basis, all from start to end) that are not billed yet: columns
    line (the agreement line id), case, procedure, site and amount; None
    when the lines have no procedure.

    With invoice_lines, {(agreement line id, procedure id, site id):
    invoice line id}, only the events of those keys, with the column
    invoice_line.

    One scan of the cases serves every line: each case finds its line
    through its procedure (and site) in a VALUES list, which the planner
    hashes (it knows its size)."""
    pool = Pool()
    LineCase = pool.get('billing.line.case')
    link = LineCase.__table__()
    if basis not in CASE_EVENTS:
        raise ValueError(f"{basis} is not billed per case")
    factors = {}
    for line in lines:
        if basis == 'collected':
            factors[line.id] = line.rate / 100
        else:
            factors[line.id] = line.amount or Decimal(0)
    if invoice_lines is None:
        procedures = line_procedure_ids(lines)
        rows = [[procedure, line.id, factors[line.id]]
            for line in lines for procedure in procedures[line]]
    else:
        rows = [[procedure, line, factors[line], site, invoice_line]
            for (line, procedure, site), invoice_line
            in invoice_lines.items()]
    if not rows:
        return None
    mapping = Values(rows)
    events = billable_events(
        CASE_EVENTS[basis], start, end,
        procedures=sorted({row[0] for row in rows}))
    if basis == 'collected':
        amount = events.collected * mapping.column3
    else:
        # Typed, or PostgreSQL cannot tell the type of the parameter
        amount = Cast(mapping.column3, 'NUMERIC')
    condition = mapping.column1 == events.procedure
    columns = [
        mapping.column2.as_('line'), events.case.as_('case'),
        events.procedure.as_('procedure'), events.site.as_('site'),
        amount.as_('amount')]
    if invoice_lines is not None:
        condition &= mapping.column4 == events.site
        columns.append(mapping.column5.as_('invoice_line'))
    return (events
        .join(mapping, condition=condition)
        .join(link, 'LEFT', condition=(link.case == events.case)
            & (link.basis == basis))
        .select(*columns, where=link.id == Null))


def aggregate_lines_events(events):
    """Return the events of lines_events grouped by line, procedure and
    site: {line id: [(procedure id, site id, number of cases, total
    amount)]}, each list ordered by procedure and site"""
    query = events.select(
        events.line, events.procedure, events.site, Count(events.case),
        Coalesce(Sum(events.amount), 0),
        group_by=[events.line, events.procedure, events.site],
        order_by=[events.line, events.procedure, events.site])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    result = defaultdict(list)
    for line, procedure, site, count, total in cursor:
        result[line].append((procedure, site, count, Decimal(str(total))))
    return result


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


def pending_credits(company, partners):
    """Return the billed lines of partners with cases cancelled since, in
    one query: {partner id: [(invoice line id, number of cases, total
    amount)]}, each list ordered by invoice line"""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    LineCase = pool.get('billing.line.case')
    invoice = Invoice.__table__()
    invoice_line = InvoiceLine.__table__()
    link = LineCase.__table__()
    result = defaultdict(list)
    if not partners:
        return result
    cursor = Transaction().connection.cursor()
    cursor.execute(*link
        .join(invoice_line, condition=link.invoice_line == invoice_line.id)
        .join(invoice, condition=invoice_line.invoice == invoice.id)
        .select(
            invoice.party, link.invoice_line, Count(link.id),
            Sum(link.amount),
            where=to_credit(link)
            & (invoice.company == company.id)
            & invoice.party.in_([p.id for p in partners])
            & (invoice.state != 'cancelled'),
            group_by=[invoice.party, link.invoice_line],
            order_by=[invoice.party, link.invoice_line]))
    for partner, line, count, total in cursor:
        result[partner].append((line, count, Decimal(str(total))))
    return result


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
