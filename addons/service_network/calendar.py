"""Senegal's working-day calendar.

Public holidays come from the `holidays` library (country SN). Islamic
holidays are only estimated there, so a year is copied into the
`network.holiday` table where an administrator confirms, moves, adds or
deactivates dates. Once a year is in the table, the table is the truth for
that year; before, the library's estimates are used as they are.

The network has one clock, Tryton's `ir.date.today()`: it gives the date in
the company's timezone, which is Africa/Dakar by default; without a company
in the context (scheduled tasks before a company is set, the login form)
it gives the date in Dakar too, not the server's.
"""
import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    Index,
    ModelSQL,
    ModelView,
    Unique,
    fields,
)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import HolidayValidationError
from .protection import check_user_groups, wizard_label

TIMEZONE = ZoneInfo('Africa/Dakar')
WEEKEND = {5, 6}  # Saturday, Sunday
HOLIDAY_COUNTRY = 'SN'
HOLIDAY_LANGUAGE = 'fr_SN'


def to_dakar_date(value):
    "Return the Dakar date of a date or an aware/naive-UTC datetime"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(TIMEZONE).date()
    return value


def library_holidays(year):
    "Return {date: name} of Senegal's public holidays for year"
    return dict(_library_holidays(year))


@functools.lru_cache(maxsize=64)
def _library_holidays(year):
    # the library computes a year in about 9 ms: the delays of cases
    # opened in a year not loaded in the table asked it on every read
    return tuple(holidays.country_holidays(
            HOLIDAY_COUNTRY, years=year, language=HOLIDAY_LANGUAGE).items())


def working_days(start, end, closed):
    """Return the working days after start up to end included, less those
    from end to start when end is before start; closed holds the holidays
    between them (a set of dates)"""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * (7 - len(WEEKEND))
    weekday = start.weekday()
    count += sum(1 for day in range(1, extra + 1)
        if (weekday + day) % 7 not in WEEKEND)
    count -= sum(1 for date in closed
        if start < date <= end and date.weekday() not in WEEKEND)
    return sign * count


class Holiday(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'network.holiday'

    date = fields.Date("Date", required=True)
    name = fields.Char("Name", required=True)
    year = fields.Function(fields.Integer("Year"), 'get_year',
        searcher='search_year')
    origin = fields.Selection([
            ('library', "Calendar"),
            ('manual', "Manual"),
            ], "Origin", readonly=True,
        help="Calendar: copied from Senegal's official calendar "
        "(Islamic holidays are estimated there).")
    estimated = fields.Boolean(
        "Estimated", readonly=True,
        help="The date is an estimate and must be confirmed "
        "with the \"Confirm Date\" button.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('date_unique', Unique(t, t.date),
                'service_network.msg_holiday_date_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.date, Index.Range())))
        cls._order.insert(0, ('date', 'ASC'))
        cls._buttons.update({
                'confirm_date': {
                    'invisible': ~Eval('estimated', False),
                    'depends': ['estimated'],
                    },
                })

    @classmethod
    def default_origin(cls):
        return 'manual'

    @classmethod
    def default_estimated(cls):
        return False

    @classmethod
    @ModelView.button
    def confirm_date(cls, holidays):
        "The administrator checked the estimated date: it is now official"
        to_confirm = [h for h in holidays if h.estimated]
        if to_confirm:
            # the button's group was checked: the field itself stays
            # read-only for the users
            with without_check_access():
                cls.write(to_confirm, {'estimated': False})

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if external and mode == 'write' and 'estimated' in values:
            raise AccessError(gettext('service_network.msg_field_readonly',
                    **cls.__names__('estimated', record=records[0])))

    def get_year(self, name):
        return self.date.year

    @classmethod
    def search_year(cls, name, clause):
        _, operator, value = clause
        if operator != '=' or not isinstance(value, int):
            return [('id', '=', -1)]
        return [
            ('date', '>=', dt.date(value, 1, 1)),
            ('date', '<=', dt.date(value, 12, 31)),
            ]

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names and 'date' not in field_names:
            return
        for record in records:
            if record.date.weekday() in WEEKEND:
                raise HolidayValidationError(gettext(
                        'service_network.msg_holiday_weekend',
                        date=record.date.strftime('%d/%m/%Y')))

    @classmethod
    def loaded_years(cls, years):
        "Return the subset of years already copied into the table"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        years = set(years)
        if not years:
            return set()
        cursor.execute(*table.select(table.date,
                where=(table.origin == 'library')
                & (table.date >= dt.date(min(years), 1, 1))
                & (table.date <= dt.date(max(years), 12, 31))))
        return {to_date(d).year for d, in cursor} & years

    @classmethod
    def load_years(cls, years):
        "Copy the official calendar of the years not loaded yet"
        to_load = set(years) - cls.loaded_years(years)
        existing = {
            h.date for h in cls.search([
                    ('date', '>=', dt.date(min(to_load), 1, 1)),
                    ('date', '<=', dt.date(max(to_load), 12, 31)),
                    ('active', 'in', [True, False]),
                    ])} if to_load else set()
        values = []
        for year in sorted(to_load):
            for date, name in sorted(library_holidays(year).items()):
                if date in existing or date.weekday() in WEEKEND:
                    # A holiday on a weekend changes no working day
                    continue
                values.append({
                        'date': date,
                        'name': name.replace(' (estimé)', ''),
                        'origin': 'library',
                        'estimated': 'estim' in name,
                        })
        if values:
            cls.create(values)

    @classmethod
    def load_next_years(cls):
        "Scheduled task: keep this year and the next in the table"
        current = Pool().get('ir.date').today().year
        cls.load_years([current, current + 1])

    @classmethod
    def holiday_dates(cls, start, end):
        """Return the set of public holidays between start and end (both
        included): from the table for the loaded years, from the library
        for the others"""
        years = set(range(start.year, end.year + 1))
        loaded = cls.loaded_years(years)
        dates = set()
        if loaded:
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(table.date,
                    where=(table.active == True)  # noqa: E712
                    & (table.date >= start) & (table.date <= end)))
            dates.update(to_date(d) for d, in cursor
                if to_date(d).year in loaded)
        for year in years - loaded:
            dates.update(library_holidays(year))
        return {d for d in dates if start <= d <= end}

    @classmethod
    def is_working_day(cls, date):
        date = to_dakar_date(date)
        return (date.weekday() not in WEEKEND
            and date not in cls.holiday_dates(date, date))

    @classmethod
    def add_working_days(cls, start, days):
        """Return the date that is `days` working days after start (start
        itself is not counted). A start datetime is taken in Dakar time."""
        start = to_dakar_date(start)
        if days <= 0:
            return start
        # Enough room for weekends and holidays: 2 weeks of slack a month
        horizon = start + dt.timedelta(days=days * 2 + 30)
        closed = cls.holiday_dates(start, horizon)
        date, left = start, days
        while left:
            date += dt.timedelta(days=1)
            if date > horizon:
                horizon = date + dt.timedelta(days=days + 30)
                closed |= cls.holiday_dates(date, horizon)
            if date.weekday() not in WEEKEND and date not in closed:
                left -= 1
        return date

    @classmethod
    def count_working_days(cls, start, end):
        """Return the number of working days after start up to end included
        (0 when end is not after start)"""
        start, end = to_dakar_date(start), to_dakar_date(end)
        if end <= start:
            return 0
        return working_days(start, end, cls.holiday_dates(start, end))

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode == 'create':
            # A manual holiday must not hide the official ones of its year
            manual_years = {r.date.year for r in records
                if r.origin == 'manual'}
            if manual_years:
                cls.load_years(manual_years)


def to_date(value):
    "SQLite returns dates as text"
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class HolidayLoadStart(ModelView):
    __name__ = 'network.holiday.load.start'
    year = fields.Integer("Year", required=True)

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year


class HolidayLoad(Wizard):
    "Copy the official public holidays of a year"
    __name__ = 'network.holiday.load'
    start = StateView('network.holiday.load.start',
        'service_network.holiday_load_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Load", 'load', 'tryton-ok', default=True),
            ])
    load = StateTransition()

    def transition_load(self):
        pool = Pool()
        Holiday = pool.get('network.holiday')
        check_user_groups(
            ['group_network_admin'], wizard_label(self.__name__))
        if not 2000 <= self.start.year <= 2100:
            raise HolidayValidationError(gettext(
                    'service_network.msg_holiday_year_invalid',
                    year=self.start.year))
        Holiday.load_years([self.start.year])
        return 'end'


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'
    # the timezone's name per company: ir.date.today is asked on most
    # calls, and reading the company record costs more than the rest
    _timezones = Cache('company.company.timezone', context=False)

    @classmethod
    def default_timezone(cls):
        return TIMEZONE.key

    @classmethod
    def get_zone(cls, company_id):
        "The timezone of company_id, Dakar's without company or timezone"
        if company_id is None or company_id < 0:
            return TIMEZONE
        name = cls._timezones.get(company_id)
        if name is None:
            name = cls(company_id).timezone or ''
            cls._timezones.set(company_id, name)
        return ZoneInfo(name) if name else TIMEZONE

    @classmethod
    def on_modification(cls, mode, companies, field_names=None):
        super().on_modification(mode, companies, field_names=field_names)
        cls._timezones.clear()


class Date(metaclass=PoolMeta):
    __name__ = 'ir.date'

    @classmethod
    def today(cls, timezone=None):
        "Today in the company's timezone, else in Dakar"
        if timezone is None:
            timezone = Pool().get('company.company').get_zone(
                Transaction().context.get('company'))
        return super().today(timezone=timezone)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('network.holiday|load_next_years', "Load Public Holidays"))
