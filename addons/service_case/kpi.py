"""Indicators per site and day, computed in SQL so that they stay fast on
millions of tickets and cases: each source is grouped by site and day in
its own subquery (using the indexes on site and date), then the subqueries
are added up.

A ratio has no value (NULL) on a day without its denominator: no share of
cases delivered on time on a day nothing was delivered, no average wait on
a day no ticket was called. The graphs keep such days out with their
action's domain, as sao's graphs draw a missing value as 0."""
import datetime as dt

from sql import Literal, Null, Union
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case as SqlCase
from sql.conditionals import Coalesce, NullIf
from sql.functions import CurrentTimestamp, Extract

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from service_network.grouped_id import date_number, grouped_id

DEFAULT_DAYS = 30


def in_period(column, start, end, timestamp=False):
    "The condition keeping column between the context's dates"
    condition = Literal(True)
    if start:
        condition &= column >= (
            dt.datetime.combine(start, dt.time()) if timestamp else start)
    if end:
        if timestamp:
            condition &= column < dt.datetime.combine(
                end + dt.timedelta(days=1), dt.time())
        else:
            condition &= column <= end
    return condition


class SiteDayContext(ModelView):
    "Indicators Context"
    __name__ = 'case.kpi.context'
    from_date = fields.Date(
        "From", domain=['OR',
            ('from_date', '<=', Eval('to_date')),
            ('to_date', '=', None),
            ])
    to_date = fields.Date("To")
    site = fields.Many2One(
        'network.site', "Site", help="Leave empty for every site.")

    @classmethod
    def default_from_date(cls):
        return Pool().get('ir.date').today() - dt.timedelta(days=DEFAULT_DAYS)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()


class SiteContext(SiteDayContext):
    """Indicators of One Site Context

    The graphs of ratios (shares, averages) show one site: sao adds up the
    values of a day, and two sites' percentages added make no sense."""
    __name__ = 'case.kpi.site.context'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.site.required = True
        cls.site.help = "The graph shows one site at a time."

    @classmethod
    def default_site(cls):
        "The user's site, the first one for the staff of several"
        pool = Pool()
        User = pool.get('res.user')
        sites = User.get_sites()
        return sites[0] if sites else None


class SiteDay(ModelSQL, ModelView):
    "Indicators per Site and Day"
    __name__ = 'case.kpi.site_day'
    site = fields.Many2One('network.site', "Site")
    date = fields.Date("Date")
    visitors = fields.Integer("Visitors")
    waiting_time = fields.Float(
        "Average Waiting (min)", digits=(6, 1),
        help="Between the arrival and the call of the tickets called.")
    cases_opened = fields.Integer("Cases Opened")
    cases_delivered = fields.Integer("Cases Delivered")
    on_time = fields.Float(
        "Delivered on Time (%)", digits=(3, 1),
        help="The share of the cases delivered that day by their expected "
        "delivery date.")
    rating = fields.Float("Average Satisfaction", digits=(1, 2))
    response_rate = fields.Float(
        "Response Rate (%)", digits=(3, 1),
        help="The share of the cases delivered that day that were rated.")
    complaints = fields.Integer("Complaints")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('site', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Ticket = pool.get('case.ticket')
        Case = pool.get('case.case')
        Complaint = pool.get('case.complaint')
        context = Transaction().context
        start, end = context.get('from_date'), context.get('to_date')
        site = context.get('site')
        ticket = Ticket.__table__()
        case = Case.__table__()
        delivered = Case.__table__()
        complaint = Complaint.__table__()
        zero = Literal(0)

        def at_site(table):
            return (table.site == site) if site else Literal(True)

        def row(site, day, visitors=zero, wait=zero, waited=zero,
                opened=zero, delivered=zero, on_time=zero, rating=zero,
                rated=zero, complaints=zero):
            return [site.as_('site'), day.as_('day'),
                visitors.as_('visitors'), wait.as_('wait'),
                waited.as_('waited'), opened.as_('opened'),
                delivered.as_('delivered'), on_time.as_('on_time'),
                rating.as_('rating'), rated.as_('rated'),
                complaints.as_('complaints')]

        if backend.name == 'postgresql':
            # the waits added up as intervals, their seconds taken once a
            # group: EXTRACT returns a numeric, slow to add up a row at a
            # time (a third of the report over 100,000 tickets)
            wait = Coalesce(Extract('EPOCH',
                    Sum(ticket.called_at - ticket.arrived_at)), 0)
        else:
            wait = Sum(SqlCase((ticket.called_at != Null,
                        Extract('EPOCH', ticket.called_at)
                        - Extract('EPOCH', ticket.arrived_at)),
                    else_=0))
        tickets = ticket.select(*row(ticket.site, ticket.date,
                visitors=Count(Literal(1)),
                wait=wait,
                waited=Count(ticket.called_at)),
            where=in_period(ticket.date, start, end) & at_site(ticket),
            group_by=[ticket.site, ticket.date])
        opened_day = cls.date.sql_cast(case.create_date)
        opened = case.select(*row(case.site, opened_day,
                opened=Count(Literal(1))),
            where=in_period(case.create_date, start, end, timestamp=True)
            & at_site(case),
            group_by=[case.site, opened_day])
        deliveries = delivered.select(*row(
                delivered.site, delivered.delivery_date,
                delivered=Count(Literal(1)),
                on_time=Sum(SqlCase(
                        (delivered.delivery_date <= delivered.due_date, 1),
                        else_=0)),
                rating=Sum(SqlCase(
                        (delivered.rating != Null, delivered.rating),
                        else_=0)),
                rated=Count(delivered.rating)),
            where=(delivered.delivery_date != Null)
            & in_period(delivered.delivery_date, start, end)
            & at_site(delivered),
            group_by=[delivered.site, delivered.delivery_date])
        complaints = complaint.select(*row(
                complaint.site, complaint.opened_on,
                complaints=Count(Literal(1))),
            where=(complaint.opened_on != Null)
            & in_period(complaint.opened_on, start, end)
            & at_site(complaint),
            group_by=[complaint.site, complaint.opened_on])
        union = Union(tickets, opened, deliveries, complaints, all_=True)

        def ratio(numerator, denominator, field, factor=1):
            "NULL when the denominator is 0: no value, not 0"
            return (field.sql_cast(Sum(numerator)) * factor
                / NullIf(Sum(denominator), 0))
        return union.select(
            # Min of the group's keys, which are the keys: an id made of
            # aggregates keeps PostgreSQL from pushing the read's "id IN
            # (...)" down into the subqueries, where it was computed for
            # every ticket and case of the period instead of every row
            grouped_id(Min(union.site), (date_number(Min(union.day)), 8)
                ).as_('id'),
            union.site.as_('site'),
            union.day.as_('date'),
            cls.visitors.sql_cast(Sum(union.visitors)).as_('visitors'),
            (ratio(union.wait, union.waited, cls.waiting_time) / 60
                ).as_('waiting_time'),
            cls.cases_opened.sql_cast(Sum(union.opened)
                ).as_('cases_opened'),
            cls.cases_delivered.sql_cast(Sum(union.delivered)
                ).as_('cases_delivered'),
            ratio(union.on_time, union.delivered, cls.on_time, 100
                ).as_('on_time'),
            ratio(union.rating, union.rated, cls.rating).as_('rating'),
            ratio(union.rated, union.delivered, cls.response_rate, 100
                ).as_('response_rate'),
            cls.complaints.sql_cast(Sum(union.complaints)).as_('complaints'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(None)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(None)).as_('write_date'),
            group_by=[union.site, union.day])
