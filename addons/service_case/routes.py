"""The public page where a citizen rates the service through the link of
the "delivered" SMS: /<database>/service_case/rate/<token>."""
import re
from html import escape

from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
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
<title>Votre avis - Espace Sénégal Services</title>
<style>
body {{ font-family: sans-serif; max-width: 32em; margin: 1em auto;
    padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.3em; color: #00853f; }}
fieldset {{ border: none; padding: 0; }}
label {{ display: inline-block; margin: 0.3em 0.6em 0.3em 0; }}
textarea {{ width: 100%; }}
button {{ font-size: 1.1em; padding: 0.4em 1.2em; }}
.error {{ color: #b00; }}
</style>
</head>
<body>
<h1>Espace Sénégal Services{site}</h1>
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
ALREADY = ("<p>Votre avis sur le dossier {number} a déjà été enregistré. "
    "Merci !</p>")
INVALID = '<p class="error">Choisissez une note de 1 à 5.</p>'
UNKNOWN = ("<p>Ce lien est inconnu ou n'est plus valable. Vérifiez qu'il "
    "est complet dans le SMS reçu.</p>")


def page(case, body, status=HTTPStatus.OK):
    "The page of case, kept out of every cache: its URL holds the token"
    site = f' {escape(case.site.name)}' if case else ''
    return secure_headers(Response(
            PAGE.format(site=site, body=body), status,
            content_type='text/html; charset=utf-8'), no_store=True)


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


@app.route('/<database_name>/service_case/rate/<token>',
    methods={'GET', 'POST'})
@with_pool
@with_transaction()
def rate(request, pool, token):
    Case = pool.get('case.case')
    cases = Case.search([
            ('rating_token', '=', token),
            ('state', '=', 'delivered'),
            ], limit=1) if TOKEN.fullmatch(token) else []
    if not cases:
        return page(None, UNKNOWN, HTTPStatus.NOT_FOUND)
    case, = cases
    number = escape(case.number)
    if case.rating is not None:
        return page(case, ALREADY.format(number=number))
    if request.method == 'GET':
        return page(case, form(case))
    rating = parse_rating(request.form.get('rating'))
    if rating is None:
        return page(case, form(case, INVALID), HTTPStatus.BAD_REQUEST)
    Case.rate(case, rating, clean_comment(request.form.get('comment')))
    return page(case, THANKS.format(number=number))
