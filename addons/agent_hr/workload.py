"""The work of each agent at each site over a period, from the queue tickets
they served and the cases assigned to them (needs service_case).

Computed in SQL like the site indicators of service_case: tickets and cases
are grouped by agent and site in their own subqueries, then added up."""
import datetime as dt

from sql import Literal, Null, Union
from sql.aggregate import Count, Sum
from sql.conditionals import NullIf
from sql.functions import CurrentTimestamp, Extract

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from service_case.events import delivered_cases, opened_cases, served_tickets
from service_case.kpi import DEFAULT_DAYS
from service_network.grouped_id import grouped_id


class WorkloadContext(ModelView):
    "Workload Context"
    __name__ = 'agent.workload.context'
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


class Workload(ModelSQL, ModelView):
    "Workload per Agent"
    __name__ = 'agent.workload'
    employee = fields.Many2One('company.employee', "Agent")
    site = fields.Many2One('network.site', "Site")
    tickets_served = fields.Integer(
        "Tickets Served",
        help="The queue tickets the agent called and closed in the period.")
    service_time = fields.Float(
        "Average Service (min)", digits=(6, 1),
        help="Between the call and the end of the tickets served.")
    cases_handled = fields.Integer(
        "Cases Handled",
        help="The cases opened in the period and assigned to the agent.")
    cases_delivered = fields.Integer(
        "Cases Delivered",
        help="The cases assigned to the agent delivered in the period.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('employee', 'ASC'), ('site', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        context = Transaction().context
        start, end = context.get('from_date'), context.get('to_date')
        site = context.get('site')
        ticket = served_tickets(start, end, site)
        case = opened_cases(start, end, site)
        delivered = delivered_cases(start, end, site)
        zero = Literal(0)

        def row(employee, site, served=zero, service=zero, cases=zero,
                deliveries=zero):
            return [employee.as_('employee'), site.as_('site'),
                served.as_('served'), service.as_('service'),
                cases.as_('cases'), deliveries.as_('deliveries')]

        service = (Extract('EPOCH', ticket.done_at)
            - Extract('EPOCH', ticket.called_at))
        tickets = ticket.select(*row(ticket.agent, ticket.site,
                served=Count(Literal(1)),
                service=Sum(service)),
            where=ticket.agent != Null,
            group_by=[ticket.agent, ticket.site])
        cases = case.select(*row(case.assignee, case.site,
                cases=Count(Literal(1))),
            where=case.assignee != Null,
            group_by=[case.assignee, case.site])
        deliveries = delivered.select(*row(
                delivered.assignee, delivered.site,
                deliveries=Count(Literal(1))),
            where=delivered.assignee != Null,
            group_by=[delivered.assignee, delivered.site])
        union = Union(tickets, cases, deliveries, all_=True)
        return union.select(
            grouped_id(union.employee, (union.site, 6)).as_('id'),
            union.employee.as_('employee'),
            union.site.as_('site'),
            cls.tickets_served.sql_cast(Sum(union.served)
                ).as_('tickets_served'),
            (cls.service_time.sql_cast(Sum(union.service))
                / NullIf(Sum(union.served), 0) / 60).as_('service_time'),
            cls.cases_handled.sql_cast(Sum(union.cases)
                ).as_('cases_handled'),
            cls.cases_delivered.sql_cast(Sum(union.deliveries)
                ).as_('cases_delivered'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(None)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(None)).as_('write_date'),
            group_by=[union.employee, union.site])
