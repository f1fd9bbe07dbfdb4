"""The published results, without login (the Services Publics+
transparency): /<database>/resultats for the network and the list of its
sites, /<database>/resultats/<site code> for one site; the last 12 months
of the figures stored by the daily task (results.py), with what each one
counts."""

from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app

from .results import MONTHS, latest_text
from .waiting_pages import (
    UNKNOWN,
    Item,
    client_key,
    render,
    site_by_code,
    t,
    too_many_page,
    unknown_page,
)


def formatter(pool):
    "Format numbers and months in the transaction's language"
    Lang = pool.get('ir.lang')
    lang = Lang.get()

    def number(value, digits=1):
        if value is None:
            return '–'
        return lang.format(f'%.{digits}f', value)

    def month(date):
        return lang.strftime(date, '%B %Y')
    return number, month


def rows(pool, site_id):
    Result = pool.get('case.published_result')
    number, month = formatter(pool)
    results = Result.search([('site', '=', site_id)],
        order=[('month', 'DESC')], limit=MONTHS)
    return [Item({
            'month': month(r.month),
            'tickets': r.tickets or 0,
            'wait_average': number(r.wait_average),
            'wait_p90': number(r.wait_p90),
            'within_15': number(r.within_15),
            'within_30': number(r.within_30),
            'delivered': r.delivered or 0,
            'on_time': number(r.on_time),
            'rating': number(r.rating, 1),
            'ratings': r.ratings or 0,
            'complaints': r.complaints or 0,
            'complaints_on_time': number(r.complaints_on_time),
            }) for r in results], (
        results[0].computed_at if results else None)


def results_page(pool, site):
    Site = pool.get('network.site')
    table, computed = rows(pool, site.id if site else None)
    sites = [] if site else [(s.code, s.name) for s in Site.search(
            [], order=[('name', 'ASC')])]
    database = pool.database_name
    return render('results.html',
        title=t('results_title'), network=t('network'),
        heading=site.name if site else t('results_network'),
        rows=table, sites=sites, base=f'/{database}/resultats',
        computed=computed.strftime('%d/%m/%Y') if computed else None)


@app.route('/<database_name>/resultats', methods={'GET'})
@with_pool
@with_transaction(readonly=True)
def network_results(request, pool):
    return results_page(pool, None)


@app.route('/<database_name>/resultats/<code>', methods={'GET'})
@with_pool
@with_transaction(readonly=True)
def site_results(request, pool, code):
    client = client_key(request)
    if UNKNOWN.exceeded(client):
        return too_many_page()
    site = site_by_code(pool, code)
    if site is None:
        UNKNOWN.add(client)
        return unknown_page()
    return results_page(pool, site)


def screen_line(pool, site_id):
    """The latest results of site in one line, for its call screen between
    calls (None before the first computation)"""
    number, month = formatter(pool)

    def text(result):
        parts = []
        if result.wait_average is not None:
            parts.append(t('results_screen_wait',
                    minutes=number(result.wait_average, 0)))
        if result.within_30 is not None:
            parts.append(t('results_screen_within',
                    share=number(result.within_30, 0)))
        if result.on_time is not None:
            parts.append(t('results_screen_on_time',
                    share=number(result.on_time, 0)))
        if result.rating is not None:
            parts.append(t('results_screen_rating',
                    rating=number(result.rating, 1)))
        if not parts:
            return None
        # in the middle of a sentence: « Nos résultats, novembre 2026 »
        return t('results_screen', month=month(result.month).lower(),
            figures=' · '.join(parts))
    return latest_text(site_id, text)

