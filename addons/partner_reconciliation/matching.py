"""Matching of statement lines to the network's records, in memory.

The records of the partner and period are read with one SQL query, indexed
in dictionaries, and every line is matched by hash look-ups: first by case
number or reference, then by the profile's rules on what is left. Nothing
here touches the ORM row by row; the lines are stored (``store_lines``, one
COPY) as the matcher pairs the rows.
"""
import contextlib
import datetime as dt
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import NamedTuple

from trytond import backend
from trytond.transaction import Transaction

from partner_billing.events import billed_cases
from service_case.events import partner_cases

from .parser import normalize


class Record(NamedTuple):
    "A case of the partner in the period, as the network recorded it"
    case: int
    number: str
    payment_reference: str
    date: dt.date
    citizen: str
    amount: Decimal
    billed_line: int


class Outcome(NamedTuple):
    status: str
    rule: str
    record: Record


_SPACE = re.compile(r'\s')


def _key(text):
    "The text upper case with its spaces collapsed, to compare numbers"
    if not text:
        return None
    text = str(text)
    # most numbers and references hold no space: one search in C
    if _SPACE.search(text) is None:
        return text.upper()
    return ' '.join(text.upper().split())


def network_records(partner, start, end, basis, cases=None):
    """Return the Records of the partner's cases paid (or submitted, when
    unpaid) from start to end, at any date without them; only the given
    cases if any. With basis 'billed', only the billed cases with the
    amount billed, else the fees collected on its behalf (0 for a case not
    paid)"""
    cursor = Transaction().connection.cursor()
    cursor.execute(*_records_query(partner, start, end, basis, cases))
    return _records(cursor.fetchall(), basis)


@contextlib.contextmanager
def network_records_meanwhile(partner, start, end, basis):
    """Read the network_records of the partner from start to end while the
    block runs: yield a function that returns them.

    On PostgreSQL the query runs in a thread, on a cursor of the
    transaction's connection, so that the database reads the cases while
    Python parses the statement (their reading took 0.2 to 0.3 s of a 2 s
    import of 100,000 lines). The block should not use the database: the
    connection would serve it after the query. Elsewhere the records are
    read before the block."""
    query = _records_query(partner, start, end, basis)
    cursor = Transaction().connection.cursor()
    if backend.name != 'postgresql':
        cursor.execute(*query)
        records = _records(cursor.fetchall(), basis)
        yield lambda: records
        return

    def read():
        cursor.execute(*query)
        return _records(cursor.fetchall(), basis)
    # leaving the block waits for the thread, the block failing or not:
    # the transaction is never ended under a running query
    with ThreadPoolExecutor(1, thread_name_prefix='network-records') as pool:
        yield pool.submit(read).result


def _records_query(partner, start, end, basis, cases=None):
    "The query of the rows of network_records"
    cases = partner_cases(partner.id, start, end, cases=cases)
    billed = billed_cases()
    join = 'INNER' if basis == 'billed' else 'LEFT'
    return cases.join(billed, join, condition=billed.case == cases.case
        ).select(
            cases.case, cases.number, cases.payment_reference,
            cases.paid_at, cases.submission_date, cases.citizen,
            cases.collected, billed.amount, billed.line,
            order_by=[cases.number])


def _records(rows, basis):
    "The Records of the rows of _records_query"
    # the amounts are few: each whole one is converted once (equal whole
    # amounts convert alike, 12.5 and 12.50 do not)
    whole = {}

    def decimal(value):
        result = whole.get(value)
        if result is None:
            result = to_decimal(value)
            if result.as_tuple().exponent == 0:
                whole[value] = result
        return result

    records = []
    append = records.append
    billed = basis == 'billed'
    for (case_id, number, reference, paid_at, submitted, name, collected,
            billed_amount, line) in rows:
        if paid_at.__class__ is str:
            paid_at = dt.datetime.fromisoformat(paid_at)
        if submitted.__class__ is str:
            submitted = dt.date.fromisoformat(submitted)
        if billed:
            amount = billed_amount
        else:
            # the fees of an unpaid case come from the catalogue at
            # submission: nothing is collected on its behalf until payment
            amount = collected if paid_at else None
        append(Record(
                case_id, number, reference,
                paid_at.date() if paid_at else submitted, name,
                decimal(amount), line))
    return records


def to_decimal(value):
    """Return the Decimal of a sum read from the database: SQLite gives
    floats; whole amounts (XOF has no cents) lose their decimal places"""
    value = Decimal(str(value or 0))
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value


def amount_status(amount, expected, tolerance):
    if amount is None or expected is None:
        return 'amount_differs'
    if abs(amount - expected) <= (tolerance or 0):
        return 'matched'
    return 'amount_differs'


class Matcher:
    """Match parsed rows (row, reference, date, amount, citizen, number) to
    records; rules are the names of the profile's rules switched on"""

    def __init__(self, records, tolerance=Decimal(0), rules=()):
        self.tolerance = tolerance or Decimal(0)
        self.rules = rules
        # the first record of a key wins: the dictionaries are built from
        # the last record to the first
        backwards = records[::-1]
        self.by_number = dict(zip(
                map(_key, [r.number for r in backwards]), backwards,
                strict=True))
        with_reference = [r for r in backwards if r.payment_reference]
        self.by_reference = dict(zip(
                map(_key, [r.payment_reference for r in with_reference]),
                with_reference, strict=True))
        self._by_day_citizen = None
        self.records = records
        self.claimed = set()

    @property
    def by_day_citizen(self):
        """The records by day and citizen not claimed yet, built the first
        time a row is left to the rules (a claimed record is never a
        candidate again)"""
        if self._by_day_citizen is None:
            self._by_day_citizen = by_day_citizen = defaultdict(list)
            for record in self.records:
                if record.citizen and record.case not in self.claimed:
                    by_day_citizen[
                        record.date, normalize(record.citizen)].append(record)
        return self._by_day_citizen

    def _claim(self, record, amount, rule):
        if record.case in self.claimed:
            return Outcome('duplicate', rule, record)
        self.claimed.add(record.case)
        return Outcome(
            amount_status(amount, record.amount, self.tolerance),
            rule, record)

    def _by_rules(self, row):
        _, _, date, amount, citizen, _ = row
        if not citizen or not date:
            return None
        candidates = [r for r in self.by_day_citizen.get(
                (date, normalize(citizen)), [])
            if r.case not in self.claimed]
        if not candidates:
            return None
        if 'date_amount_citizen' in self.rules:
            for record in candidates:
                if abs(amount - record.amount) <= self.tolerance:
                    return self._claim(
                        record, amount, 'date_amount_citizen')
        if 'date_citizen' in self.rules:
            return self._claim(candidates[0], amount, 'date_citizen')
        return None

    def pairs(self, rows):
        """Yield (row, Outcome or None for unknown) for every row: those
        found by number or reference as they come, so that their lines are
        stored while the next are matched, the others once every row has
        claimed its record (the profile's rules take what is left)"""
        pending = []
        by_number = self.by_number.get
        by_reference = self.by_reference.get
        claimed = self.claimed
        tolerance = self.tolerance
        # _claim written out: it runs on every row
        for row in rows:
            _, reference, _, amount, _, number = row
            record = None
            if number:
                record, rule = by_number(_key(number)), 'case_number'
            if not record and reference:
                key, rule = _key(reference), 'reference'
                record = by_number(key) or by_reference(key)
            if not record:
                pending.append(row)
            elif record.case in claimed:
                yield row, Outcome('duplicate', rule, record)
            else:
                claimed.add(record.case)
                expected = record.amount
                if (amount is not None and expected is not None
                        and abs(amount - expected) <= tolerance):
                    status = 'matched'
                else:
                    status = 'amount_differs'
                yield row, Outcome(status, rule, record)
        for row in pending:
            yield row, self._by_rules(row) if self.rules else None

    def missing(self):
        """Return the records no row covers, once pairs is exhausted: a
        case of which the network holds nothing for the partner (unpaid
        when comparing fees collected) owes it nothing, no gap"""
        return [r for r in self.records
            if r.case not in self.claimed and r.amount]
