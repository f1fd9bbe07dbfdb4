"""The billable events of an agreement line, as SQL queries.

Every query works on the whole period at once (no loop over cases): a
billing run over 200,000 cases costs a few aggregate queries and one
INSERT ... SELECT per fee-schedule line.
"""
import datetime as dt
from decimal import Decimal

from sql import Cast, Literal, Null, Union, Values
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp

from trytond.pool import Pool
from trytond.transaction import Transaction

# The fee components the network collects on behalf of others
ON_BEHALF_KINDS = ['stamp', 'fee', 'tax']


def _bounds(start, end):
    "Return the datetimes bounding the days from start to end"
    return (dt.datetime.combine(start, dt.time()),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))


def procedure_condition(case, line):
    """The cases of the line's procedure, or of every procedure of the
    partner without a line of its own on the same basis"""
    pool = Pool()
    Procedure = pool.get('network.procedure')
    if line.procedure:
        return case.procedure == line.procedure.id
    procedure = Procedure.__table__()
    where = procedure.partner == line.agreement.partner.id
    specific = [other.procedure.id for other in line.agreement.lines
        if other.procedure and other.basis == line.basis]
    if specific:
        where &= ~procedure.id.in_(specific)
    return case.procedure.in_(procedure.select(procedure.id, where=where))


def case_events(line, start, end):
    """Return the query of the events of line between start and end that
    are not billed yet: columns case, procedure, site and amount"""
    pool = Pool()
    Case = pool.get('case.case')
    History = pool.get('case.history')
    Fee = pool.get('case.fee')
    LineCase = pool.get('billing.line.case')
    case = Case.__table__()
    link = LineCase.__table__()
    start_at, end_at = _bounds(start, end)
    where = procedure_condition(case, line) & (link.id == Null)
    # Typed, or PostgreSQL cannot tell the type of the parameter
    amount = Cast(Literal(line.amount or Decimal(0)), 'NUMERIC')
    if line.basis == 'delivered':
        from_ = case
        where &= ((case.state == 'delivered')
            & (case.delivery_date >= start) & (case.delivery_date <= end))
    elif line.basis == 'transmitted':
        history = History.__table__()
        first = history.select(
            history.case.as_('case'), Min(history.date).as_('date'),
            where=history.to_state == 'transmitted',
            group_by=[history.case])
        from_ = case.join(first, condition=first.case == case.id)
        where &= ((case.state != 'cancelled')
            & (first.date >= start_at) & (first.date < end_at))
    elif line.basis == 'collected':
        fee = Fee.__table__()
        collected = fee.select(
            fee.case.as_('case'), Sum(fee.amount).as_('amount'),
            where=fee.kind.in_(ON_BEHALF_KINDS),
            group_by=[fee.case])
        from_ = case.join(collected, condition=collected.case == case.id)
        where &= ((case.state != 'cancelled')
            & (case.paid_at >= start_at) & (case.paid_at < end_at))
        amount = collected.amount * (line.rate / 100)
    else:
        raise ValueError(f"{line.basis} is not billed per case")
    from_ = from_.join(link, 'LEFT', condition=(link.case == case.id)
        & (link.basis == line.basis))
    return from_.select(
        case.id.as_('case'), case.procedure.as_('procedure'),
        case.site.as_('site'), amount.as_('amount'),
        where=where)


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


def insert_links(billed):
    """Link each event to the invoice line of its procedure and site, in
    one INSERT ... SELECT for the whole run

    billed is a list of (agreement line, start, end, invoice). The invoice
    lines are joined as a VALUES list: the planner knows its size, while
    it knows nothing yet of the lines just created.
    """
    pool = Pool()
    LineCase = pool.get('billing.line.case')
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    link = LineCase.__table__()
    queries = []
    for line, start, end, invoice in billed:
        rows = [
            [invoice_line.billing_procedure.id,
                invoice_line.billing_site.id, invoice_line.id]
            for invoice_line in invoice.lines
            if invoice_line.billing_agreement_line == line
            and not invoice_line.billing_credited_line]
        if not rows:
            continue
        lines = Values(rows)
        events = case_events(line, start, end)
        queries.append(events.join(lines, condition=(
                    (lines.column1 == events.procedure)
                    & (lines.column2 == events.site))
                ).select(
                    events.case.as_('case'),
                    Cast(Literal(line.basis), 'VARCHAR').as_('basis'),
                    lines.column3.as_('invoice_line'),
                    Cast(Literal(line.id), 'INTEGER').as_('agreement_line'),
                    events.amount.as_('amount')))
    if not queries:
        return
    union = Union(*queries, all_=True) if len(queries) > 1 else queries[0]
    cursor.execute(*link.insert(
            columns=[link.case, link.basis, link.invoice_line,
                link.agreement_line, link.amount,
                link.create_uid, link.create_date],
            values=union.select(
                union.case, union.basis, union.invoice_line,
                union.agreement_line, union.amount,
                Cast(Literal(transaction.user), 'INTEGER'),
                CurrentTimestamp())))


def active_sites(line, month_start, month_end):
    "Return the ids of the sites with a case of the line in the month"
    pool = Pool()
    Case = pool.get('case.case')
    case = Case.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*case.select(
            case.site,
            where=procedure_condition(case, line)
            & ~case.state.in_(['draft', 'cancelled'])
            & (case.submission_date >= month_start)
            & (case.submission_date <= month_end),
            group_by=[case.site], order_by=[case.site]))
    return [site for site, in cursor]


def pending_credits(company, partner):
    """Return the billed lines of partner with cases cancelled since:
    a list of (invoice line id, number of cases, total amount)"""
    pool = Pool()
    Case = pool.get('case.case')
    Invoice = pool.get('account.invoice')
    InvoiceLine = pool.get('account.invoice.line')
    LineCase = pool.get('billing.line.case')
    case = Case.__table__()
    invoice = Invoice.__table__()
    invoice_line = InvoiceLine.__table__()
    link = LineCase.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*link
        .join(case, condition=link.case == case.id)
        .join(invoice_line, condition=link.invoice_line == invoice_line.id)
        .join(invoice, condition=invoice_line.invoice == invoice.id)
        .select(
            link.invoice_line, Count(link.id), Sum(link.amount),
            where=(case.state == 'cancelled') & (link.credit_line == Null)
            & (invoice.company == company.id)
            & (invoice.party == partner.id)
            & (invoice.state != 'cancelled'),
            group_by=[link.invoice_line], order_by=[link.invoice_line]))
    return [(line, count, Decimal(str(total)))
        for line, count, total in cursor]


def mark_credited(invoice):
    "Link the cancelled cases to the credit lines of invoice"
    pool = Pool()
    Case = pool.get('case.case')
    InvoiceLine = pool.get('account.invoice.line')
    LineCase = pool.get('billing.line.case')
    case = Case.__table__()
    invoice_line = InvoiceLine.__table__()
    credit = InvoiceLine.__table__()
    link = LineCase.__table__()
    cursor = Transaction().connection.cursor()
    credit_of = credit.select(credit.id,
        where=(credit.billing_credited_line == link.invoice_line)
        & (credit.invoice == invoice.id))
    cursor.execute(*link.update(
            columns=[link.credit_line], values=[credit_of],
            where=(link.credit_line == Null)
            & link.case.in_(case.select(
                    case.id, where=case.state == 'cancelled'))
            & link.invoice_line.in_(invoice_line.select(
                    invoice_line.billing_credited_line,
                    where=invoice_line.invoice == invoice.id))))
