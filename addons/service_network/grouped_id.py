"""Ids of the rows of the SQL reports, derived from their grouped keys.

A report row (a `table_query` model) is a group: a site and a day, an agent
and a site, a partner and a month. Numbering the rows (`RowNumber()`) gives
a row another id as soon as the filter or the data change, so a tab left
open reads another row. As Tryton's `attendance` module does, the id is
derived from what identifies the group instead: the keys are written side
by side in decimal, e.g. site 12 on 3 February 2026 is 12_20260203 and
partner 7 in March 2026 is 7_000_202603. Each key but the first has a fixed
number of digits, so two groups never share an id; the first key (a record
id) is unbounded and the result is a BIGINT (9.2e18), far above any
realistic site, employee or party id.
"""
from sql import Cast
from sql.conditionals import Coalesce
from sql.functions import Extract, Substring

__all__ = ['grouped_id', 'date_number', 'month_number']


def grouped_id(first, *keys):
    """Return the id of a group from its keys: first is an integer
    expression, keys are (expression, digits) pairs of non-negative
    integers below 10 ** digits. A missing key counts as 0."""
    value = Cast(Coalesce(first, 0), 'BIGINT')
    for key, digits in keys:
        value = value * (10 ** digits) + Cast(Coalesce(key, 0), 'BIGINT')
    return value


def date_number(date):
    "The date as the integer YYYYMMDD (8 digits)"
    return (Extract('YEAR', date) * 10000 + Extract('MONTH', date) * 100
        + Extract('DAY', date))


def month_number(month):
    "A 'YYYY-MM' text as the integer YYYYMM (6 digits)"
    return (Cast(Substring(month, 1, 4), 'BIGINT') * 100
        + Cast(Substring(month, 6, 2), 'BIGINT'))
