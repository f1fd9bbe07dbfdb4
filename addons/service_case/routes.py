"""The public page where a citizen rates the service through the link of
the "delivered" SMS: /<database>/avis/<token> (short, for the SMS), and
/<database>/service_case/rate/<token>, the address of the first SMS sent.

Every answer is a French page: an unknown link (or database, or any other
address under these two) is a 404 page, a link already used a 410 page
thanking for the rating given."""
import re
from functools import wraps
from html import escape

from werkzeug.exceptions import NotFound

from trytond.protocols.wrappers import (
    HTTPStatus,
    Response,
    with_pool,
    with_transaction,
)
from trytond.wsgi import app

from service_network.http_headers import secure_headers

# The alphabet of secrets.token_urlsafe: anything else (a NUL byte, which
# the databases refuse, a quote, a slash) is never a token
TOKEN = re.compile(r'[A-Za-z0-9_-]{16,64}')

PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Espace Sénégal Services</title>
<style>
body {{ font-family: sans-serif; max-width: 32em; margin: 1em auto;
    padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.3em; color: #00853f; }}
h2 {{ font-size: 1.1em; }}
fieldset {{ border: none; padding: 0; }}
label {{ display: inline-block; margin: 0.3em 0.6em 0.3em 0; }}
textarea {{ width: 100%; }}
button {{ font-size: 1.1em; padding: 0.4em 1.2em; }}
.error {{ color: #b00; }}
</style>
</head>
<body>
<h1>{site}</h1>
<h2>{title}</h2>
{body}
</body>
</html>
"""
FORM = """<p>Dossier <strong>{number}</strong> : {procedure}</p>
<form method="post">
<fieldset>
<legend>Êtes-vous satisfait du service reçu ?
(1 : pas du tout, 5 : tout à fait)</legend>
{choices}
</fieldset>
<p><label for="comment">Un commentaire (facultatif) :</label><br>
<textarea id="comment" name="comment" rows="4" maxlength="2000"></textarea>
</p>
{error}
<p><button type="submit">Envoyer mon avis</button></p>
</form>
"""
CHOICE = ('<label><input type="radio" name="rating" value="{0}" required>'
    ' {0}</label>')
THANKS = "<p>Merci ! Votre avis sur le dossier {number} est enregistré.</p>"
ALREADY = ("<p>Vous avez déjà donné votre avis sur le dossier {number} : "
    "il est enregistré, et un seul avis compte par dossier. Merci !</p>")
INVALID = '<p class="error">Choisissez une note de 1 à 5.</p>'
UNKNOWN = ("<p>Ce lien est inconnu ou n'est plus valable. Vérifiez qu'il "
    "est complet dans le SMS reçu.</p>")
TITLES = {
    'form': "Votre avis",
    'thanks': "Merci pour votre avis",
    'already': "Avis déjà donné",
    'unknown': "Lien inconnu",
    'too_many': "Trop de tentatives",
    }
TOO_MANY = ("<p>Trop de liens inconnus ont été demandés depuis votre "
    "connexion : patientez une minute avant de réessayer.</p>")
NETWORK = "Espace Sénégal Services"


def page(case, title, body, status=HTTPStatus.OK):
    """The page of case, kept out of every cache: its URL holds the token;
    its form posts with the page's origin (same-origin referrer)"""
    site = escape(case.site.name) if case else NETWORK
    return secure_headers(Response(
            PAGE.format(site=site, title=escape(TITLES[title]), body=body),
            status, content_type='text/html; charset=utf-8'), no_store=True,
        referrer='same-origin' if title == 'form' else 'no-referrer')


def unknown_page():
    return page(None, 'unknown', UNKNOWN, HTTPStatus.NOT_FOUND)


def french_not_found(func):
    "Answer the French page of an unknown link for an unknown database"
    @wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            return unknown_page()
    return wrapper


def form(case, error=''):
    return FORM.format(
        number=escape(case.number), procedure=escape(case.procedure.name),
        choices='\n'.join(CHOICE.format(i) for i in range(1, 6)),
        error=error)


def parse_rating(value):
    try:
        rating = int(value)
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None


def clean_comment(value):
    "The citizen's comment without control characters (NUL breaks SQL)"
    text = ''.join(
        c for c in (value or '') if c.isprintable() or c in '\n\t')
    return text.strip()[:2000]


@app.route('/<database_name>/avis/<token>', methods={'GET', 'POST'})
@app.route('/<database_name>/service_case/rate/<token>',
    methods={'GET', 'POST'})
@french_not_found
@with_pool
@with_transaction()
def rate(request, pool, token):
    try:
        Case = pool.get('case.case')
    except KeyError:
        # a database without service_case
        return unknown_page()
    cases = Case.search([
            ('rating_token', '=', token),
            ('state', '=', 'delivered'),
            ], limit=1) if TOKEN.fullmatch(token) else []
    if not cases:
        return unknown_page()
    case, = cases
    number = escape(case.number)
    if case.rating is not None:
        return page(
            case, 'already', ALREADY.format(number=number), HTTPStatus.GONE)
    if request.method == 'GET':
        return page(case, 'form', form(case))
    rating = parse_rating(request.form.get('rating'))
    if rating is None:
        return page(
            case, 'form', form(case, INVALID), HTTPStatus.BAD_REQUEST)
    Case.rate(case, rating, clean_comment(request.form.get('comment')))
    return page(case, 'thanks', THANKS.format(number=number))


@app.route('/<database_name>/avis', methods={'GET', 'POST'})
@app.route('/<database_name>/avis/', methods={'GET', 'POST'})
@app.route('/<database_name>/avis/<path:rest>', methods={'GET', 'POST'})
@app.route('/<database_name>/service_case', methods={'GET', 'POST'})
@app.route('/<database_name>/service_case/', methods={'GET', 'POST'})
@app.route('/<database_name>/service_case/<path:rest>',
    methods={'GET', 'POST'})
def unknown(request, database_name, rest=''):
    "Any other address of these pages: the French page of an unknown link"
    return unknown_page()
