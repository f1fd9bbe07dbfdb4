"""Published results (the Services Publics+ transparency): per site and for
the whole network, per month, the figures the public pages and the call
screens show. A scheduled task recomputes the last 12 months every day by
SQL over the tickets, cases, ratings and complaints and stores them, so
that public pages only read a few stored rows.

What each figure counts (also said on the public page):

- waits: the tickets of the month that were called, from arrival to call
  (a ticket dropped before its call has no wait); the average, the 90th
  percentile (nearest rank: the smallest wait that 90 % of the waits do
  not exceed) and the shares called within 15 and 30 minutes;
- cases delivered on time: the cases delivered in the month, the share
  delivered on or before their expected date;
- satisfaction: the ratings given in the month, their average (1 to 5);
- complaints answered on time: the complaints whose answer was due in the
  month, once that date has passed or they were answered, the share
  answered on or before it."""
import datetime as dt

from sql import Literal, Null, Window
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case as SqlCase
from sql.functions import Extract, RowNumber

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

MONTHS = 12
WITHIN = (15, 30)


def first_of_month(date, back=0):
    "The first day of date's month, back months earlier"
    month = date.year * 12 + date.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def month_key(column):
    "The month of a date or timestamp column as the integer YYYYMM"
    return Extract('YEAR', column) * 100 + Extract('MONTH', column)


def key_date(key):
    key = int(key)
    return dt.date(key // 100, key % 100, 1)


def percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


class PublishedResult(ModelSQL, ModelView):
    "Published Result"
    __name__ = 'case.published_result'
    site = fields.Many2One(
        'network.site', "Site", readonly=True, ondelete='CASCADE',
        help="Empty for the whole network.")
    month = fields.Date("Month", readonly=True, required=True)
    tickets = fields.Integer("Visitors Called", readonly=True)
    wait_average = fields.Float(
        "Average Wait (min)", digits=(4, 1), readonly=True)
    wait_p90 = fields.Float(
        "90% Waited Less Than (min)", digits=(4, 1), readonly=True,
        help="The 90th percentile of the waits.")
    within_15 = fields.Float(
        "Called within 15 min (%)", digits=(3, 1), readonly=True)
    within_30 = fields.Float(
        "Called within 30 min (%)", digits=(3, 1), readonly=True)
    delivered = fields.Integer("Cases Delivered", readonly=True)
    on_time = fields.Float(
        "Delivered on Time (%)", digits=(3, 1), readonly=True,
        help="Delivered on or before the expected date announced.")
    ratings = fields.Integer("Ratings", readonly=True)
    rating = fields.Float("Satisfaction (/5)", digits=(1, 2), readonly=True)
    complaints = fields.Integer("Complaints Due", readonly=True)
    complaints_on_time = fields.Float(
        "Complaints Answered on Time (%)", digits=(3, 1), readonly=True)
    computed_at = fields.DateTime("Computed at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('site', 'ASC NULLS FIRST'),
            ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.site.rec_name if self.site else "-"} ' \
            f'{self.month.strftime("%m/%Y")}'

    @classmethod
    def _wait(cls, ticket):
        "The seconds from the ticket's arrival to its call"
        if backend.name == 'postgresql':
            return Extract('EPOCH', ticket.called_at - ticket.arrived_at)
        return (Extract('EPOCH', ticket.called_at)
            - Extract('EPOCH', ticket.arrived_at))

    @classmethod
    def _ticket_figures(cls, start, end, by_site):
        Ticket = Pool().get('case.ticket')
        ticket = Ticket.__table__()
        cursor = Transaction().connection.cursor()
        wait = cls._wait(ticket)
        month = month_key(ticket.date)
        site = ticket.site if by_site else Literal(None)
        partition = [ticket.site, month] if by_site else [month]
        waits = ticket.select(
            site.as_('site'), month.as_('month'), wait.as_('wait'),
            RowNumber(window=Window(partition, order_by=[wait])
                ).as_('rank'),
            Count(Literal(1), window=Window(partition)).as_('count'),
            where=(ticket.called_at != Null)
            & (ticket.date >= start) & (ticket.date < end))
        within = [Sum(SqlCase((waits.wait <= minutes * 60, 1), else_=0))
            for minutes in WITHIN]
        cursor.execute(*waits.select(
                waits.site, waits.month, Count(Literal(1)), Avg(waits.wait),
                # nearest rank: the first wait at or above 90 % of them
                Min(SqlCase((waits.rank * 10 >= waits.count * 9,
                            waits.wait))),
                *within,
                group_by=[waits.site, waits.month]))
        for site_id, key, count, average, p90, *shares in cursor:
            yield (site_id, key), {
                'tickets': count,
                'wait_average': round(float(average) / 60, 1),
                'wait_p90': round(float(p90) / 60, 1),
                'within_15': percent(shares[0], count),
                'within_30': percent(shares[1], count),
                }

    @staticmethod
    def _monthly(table, by_site, day, where, **columns):
        """The rows of table in where with their site (None for the
        network) and month, and columns: grouped on that subquery's
        columns, since PostgreSQL does not see an expression with
        parameters in the GROUP BY as the same as in the SELECT"""
        site = table.site if by_site else Literal(None)
        return table.select(site.as_('site'), month_key(day).as_('month'),
            *(value.as_(name) for name, value in columns.items()),
            where=where)

    @classmethod
    def _case_figures(cls, start, end, by_site):
        Case = Pool().get('case.case')
        case = Case.__table__()
        cursor = Transaction().connection.cursor()
        delivered = cls._monthly(case, by_site, case.delivery_date,
            (case.delivery_date >= start) & (case.delivery_date < end),
            on_time=SqlCase(
                (case.delivery_date <= case.due_date, 1), else_=0))
        cursor.execute(*delivered.select(
                delivered.site, delivered.month, Count(Literal(1)),
                Sum(delivered.on_time),
                group_by=[delivered.site, delivered.month]))
        for site_id, key, count, on_time in cursor:
            yield (site_id, key), {
                'delivered': count, 'on_time': percent(on_time, count)}

        rated = cls._monthly(case, by_site, case.rated_at,
            (case.rating != Null)
            & (case.rated_at >= dt.datetime.combine(start, dt.time()))
            & (case.rated_at < dt.datetime.combine(end, dt.time())),
            rating=case.rating)
        cursor.execute(*rated.select(
                rated.site, rated.month, Count(Literal(1)),
                Avg(rated.rating),
                group_by=[rated.site, rated.month]))
        for site_id, key, count, average in cursor:
            yield (site_id, key), {
                'ratings': count, 'rating': round(float(average), 2)}

    @classmethod
    def _complaint_figures(cls, start, end, by_site, today):
        Complaint = Pool().get('case.complaint')
        complaint = Complaint.__table__()
        cursor = Transaction().connection.cursor()
        due = cls._monthly(complaint, by_site, complaint.due_date,
            (complaint.state != 'draft')
            & (complaint.due_date >= start) & (complaint.due_date < end)
            & ((complaint.answered_on != Null)
                | (complaint.due_date < today)),
            answered=SqlCase(
                (complaint.answered_on <= complaint.due_date, 1), else_=0))
        cursor.execute(*due.select(due.site, due.month, Count(Literal(1)),
                Sum(due.answered), group_by=[due.site, due.month]))
        for site_id, key, count, answered in cursor:
            yield (site_id, key), {
                'complaints': count,
                'complaints_on_time': percent(answered, count)}

    @classmethod
    def figures(cls, start, end, today):
        """The figures of the months from start to end (excluded) per site
        and for the network (site None), by (site, first day of month)"""
        rows = {}
        for by_site in [True, False]:
            for source in [
                    cls._ticket_figures(start, end, by_site),
                    cls._case_figures(start, end, by_site),
                    cls._complaint_figures(start, end, by_site, today)]:
                for (site_id, key), values in source:
                    rows.setdefault(
                        (site_id, key_date(key)), {}).update(values)
        return rows

    @classmethod
    def compute(cls, months=MONTHS):
        """Scheduled task: recompute the figures of the last months (the
        current one included) in one transaction"""
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        start = first_of_month(today, months - 1)
        end = first_of_month(today, -1)
        rows = cls.figures(start, end, today)
        now = dt.datetime.now()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.month >= start))
        cls.create([{'site': site_id, 'month': month, 'computed_at': now,
                    **values}
                for (site_id, month), values in sorted(
                    rows.items(), key=lambda r: (r[0][1], r[0][0] or 0))])
        forget_results()

    @classmethod
    def latest(cls, site_id):
        """The published figures of site (None: the network) for the
        current month, or the last month when it has no called ticket yet"""
        results = cls.search([('site', '=', site_id)], order=[
                ('month', 'DESC')], limit=2)
        for result in results:
            if result.tickets:
                return result
        return results[0] if results else None


_LATEST = {}
LATEST_TTL = 300


def forget_results():
    _LATEST.clear()


def latest_text(site_id, text):
    """text(result) of the latest figures of site, kept LATEST_TTL seconds
    per process (the screens ask every second; the figures change daily)"""
    import time
    now = time.monotonic()
    key = (Transaction().database.name, site_id,
        Transaction().language)
    cached = _LATEST.get(key)
    if cached and now - cached[0] < LATEST_TTL:
        return cached[1]
    Result = Pool().get('case.published_result')
    result = Result.latest(site_id)
    value = text(result) if result else None
    _LATEST[key] = (now, value)
    return value
