"""What other modules read of cases and tickets: query builders.

Billing, reconciliation and the HR workload need the cases delivered,
transmitted, paid or cancelled, the fees collected on behalf of partners
and the tickets served. They get them from these functions instead of
naming the tables and states of service_case, so that a state renamed or a
history stored differently changes here only.

Each function returns a python-sql query (a sub-select) that the caller
joins, groups or inserts from, so that the work stays set-based: a billing
run over 200,000 cases is still a few queries. The columns listed in each
docstring are the contract; the tables behind them are not.

Periods are dates, both included; a missing bound leaves that side open
where the docstring says so.
"""
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Sum

from trytond.pool import Pool

from service_network.procedure import ON_BEHALF_KINDS

from .kpi import in_period

# The events of a case that partners are billed for
BILLABLE_EVENTS = ['delivered', 'transmitted', 'paid']


def _bounds(start, end):
    "Return the datetimes bounding the days from start to end"
    return (dt.datetime.combine(start, dt.time()),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))


def _among(column, ids):
    "The condition keeping column in ids: an id, a list or a sub-select"
    if ids is None:
        return Literal(True)
    if isinstance(ids, int):
        return column == ids
    if isinstance(ids, (list, tuple, set, frozenset)):
        return column.in_(list(ids) or [-1])
    return column.in_(ids)


def _at_site(table, site):
    return (table.site == site) if site else Literal(True)


def _collected_per_case(beneficiary=None):
    """The total of the fees collected on behalf of others per case (of
    beneficiary only if given): columns case, amount"""
    pool = Pool()
    Fee = pool.get('case.fee')
    fee = Fee.__table__()
    where = fee.kind.in_(ON_BEHALF_KINDS)
    if beneficiary is not None:
        where &= fee.beneficiary == beneficiary
    return fee.select(
        fee.case.as_('case'), Sum(fee.amount).as_('amount'),
        where=where, group_by=[fee.case])


def billable_events(event, start, end, procedures=None):
    """Return the query of the cases that reached event from start to end,
    of procedures only if given (an id, a list of ids or a sub-select of
    ids): columns case, procedure, site, date, and for 'paid' collected.

    - delivered: delivered on a day of the period; date is that day.
    - transmitted: first transmitted to the partner in the period and not
      cancelled; date is the time of the first transmission.
    - paid: paid in the period, not cancelled, with fees collected on
      behalf of others; date is the time of payment and collected their
      total (on behalf of every beneficiary).
    """
    pool = Pool()
    Case = pool.get('case.case')
    case = Case.__table__()
    start_at, end_at = _bounds(start, end)
    where = _among(case.procedure, procedures)
    columns = [case.id.as_('case'), case.procedure.as_('procedure'),
        case.site.as_('site')]
    from_ = case
    if event == 'delivered':
        where &= ((case.state == 'delivered')
            & (case.delivery_date >= start) & (case.delivery_date <= end))
        columns.append(case.delivery_date.as_('date'))
    elif event == 'transmitted':
        where &= ((case.state != 'cancelled')
            & (case.transmitted_at >= start_at)
            & (case.transmitted_at < end_at))
        columns.append(case.transmitted_at.as_('date'))
    elif event == 'paid':
        collected = _collected_per_case()
        from_ = case.join(collected, condition=collected.case == case.id)
        where &= ((case.state != 'cancelled')
            & (case.paid_at >= start_at) & (case.paid_at < end_at))
        columns += [case.paid_at.as_('date'),
            collected.amount.as_('collected')]
    else:
        raise ValueError(f"{event} is not a billable event")
    return from_.select(*columns, where=where)


def cancelled_cases():
    """Return the query of the cases cancelled: column case. An event
    billed before its case was cancelled is to be credited."""
    pool = Pool()
    Case = pool.get('case.case')
    case = Case.__table__()
    return case.select(
        case.id.as_('case'), where=case.state == 'cancelled')


def submitted_cases(start, end, procedures=None):
    """Return the query of the cases submitted from start to end and still
    going or finished (neither draft nor cancelled), of procedures only if
    given: columns case, procedure, site, date (of submission)"""
    pool = Pool()
    Case = pool.get('case.case')
    case = Case.__table__()
    return case.select(
        case.id.as_('case'), case.procedure.as_('procedure'),
        case.site.as_('site'), case.submission_date.as_('date'),
        where=_among(case.procedure, procedures)
        & ~case.state.in_(['draft', 'cancelled'])
        & (case.submission_date >= start) & (case.submission_date <= end))


def collected_fees(start=None, end=None, beneficiary=None):
    """Return the query of the fees collected on behalf of others (stamps,
    fees, taxes) on the cases paid from start to end (at any time without
    them) and not cancelled, owed to beneficiary only if given: columns
    fee, case, label, kind, amount, beneficiary, paid_at"""
    pool = Pool()
    Case = pool.get('case.case')
    Fee = pool.get('case.fee')
    fee, case = Fee.__table__(), Case.__table__()
    where = ((case.paid_at != Null) & (case.state != 'cancelled')
        & fee.kind.in_(ON_BEHALF_KINDS))
    if start and end:
        start_at, end_at = _bounds(start, end)
        where &= (case.paid_at >= start_at) & (case.paid_at < end_at)
    if beneficiary is not None:
        where &= fee.beneficiary == beneficiary
    return fee.join(case, condition=fee.case == case.id).select(
        fee.id.as_('fee'), case.id.as_('case'), fee.label.as_('label'),
        fee.kind.as_('kind'), fee.amount.as_('amount'),
        fee.beneficiary.as_('beneficiary'), case.paid_at.as_('paid_at'),
        where=where)


def partner_cases(partner, start=None, end=None, cases=None):
    """Return the query of the cases of the partner's procedures, neither
    draft nor cancelled, paid from start to end or unpaid and submitted
    then (at any date without them), only cases if given (ids): columns
    case, number, payment_reference, paid_at, submission_date, citizen
    (the citizen's name) and collected (the fees collected on behalf of
    the partner, NULL without any)"""
    pool = Pool()
    Case = pool.get('case.case')
    Party = pool.get('party.party')
    Procedure = pool.get('network.procedure')
    case, procedure = Case.__table__(), Procedure.__table__()
    citizen = Party.__table__()
    collected = _collected_per_case(beneficiary=partner)
    where = ((procedure.partner == partner)
        & ~case.state.in_(['draft', 'cancelled']))
    if start and end:
        start_at, end_at = _bounds(start, end)
        where &= (((case.paid_at >= start_at) & (case.paid_at < end_at))
            | ((case.paid_at == Null)
                & (case.submission_date >= start)
                & (case.submission_date <= end)))
    if cases is not None:
        where &= _among(case.id, list(cases))
    return (case
        .join(procedure, condition=case.procedure == procedure.id)
        .join(citizen, condition=case.citizen == citizen.id)
        .join(collected, 'LEFT', condition=collected.case == case.id)
        .select(
            case.id.as_('case'), case.number.as_('number'),
            case.payment_reference.as_('payment_reference'),
            case.paid_at.as_('paid_at'),
            case.submission_date.as_('submission_date'),
            citizen.name.as_('citizen'),
            collected.amount.as_('collected'),
            where=where))


def served_tickets(start=None, end=None, site=None):
    """Return the query of the queue tickets called and closed on a day from
    start to end (open bounds when missing), at site only if given:
    columns ticket, agent (who served it, if known), site, called_at,
    done_at"""
    pool = Pool()
    Ticket = pool.get('case.ticket')
    ticket = Ticket.__table__()
    return ticket.select(
        ticket.id.as_('ticket'), ticket.agent.as_('agent'),
        ticket.site.as_('site'), ticket.called_at.as_('called_at'),
        ticket.done_at.as_('done_at'),
        where=(ticket.state == 'done')
        & (ticket.called_at != Null) & (ticket.done_at != Null)
        & in_period(ticket.date, start, end) & _at_site(ticket, site))


def opened_cases(start=None, end=None, site=None):
    """Return the query of the cases opened on a day from start to end
    (open bounds when missing), at site only if given: columns case,
    assignee (the agent who follows it, if any), site"""
    pool = Pool()
    Case = pool.get('case.case')
    case = Case.__table__()
    return case.select(
        case.id.as_('case'), case.assignee.as_('assignee'),
        case.site.as_('site'),
        where=in_period(case.create_date, start, end, timestamp=True)
        & _at_site(case, site))


def delivered_cases(start=None, end=None, site=None):
    """Return the query of the cases delivered on a day from start to end
    (open bounds when missing), at site only if given: columns case,
    assignee (the agent who follows it, if any), site, date"""
    pool = Pool()
    Case = pool.get('case.case')
    case = Case.__table__()
    return case.select(
        case.id.as_('case'), case.assignee.as_('assignee'),
        case.site.as_('site'), case.delivery_date.as_('date'),
        where=(case.delivery_date != Null)
        & in_period(case.delivery_date, start, end)
        & _at_site(case, site))
