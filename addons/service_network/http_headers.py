"""The security headers of every answer of our public routes (pages a
citizen opens from an SMS link, partners' callbacks): one place, so that
every route gets them all."""

# A page of ours: its own inline style and forms posting to itself; no
# script, no image, no frame, no external resource
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'")
# An API answer (JSON) is never rendered as a document
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def secure_headers(response, policy=PAGE_POLICY, no_store=False,
        referrer='no-referrer'):
    """Add the security headers to response and return it.

    no_store keeps pages reached by a secret link (a token in the URL) out
    of every cache, the browser's included. A page with a form says
    referrer='same-origin': with no-referrer the browser sends its POST
    with « Origin: null », which trytond refuses (403); same-origin still
    gives the page's address (and its secret) to no other site."""
    headers = response.headers
    headers['Content-Security-Policy'] = policy
    headers['X-Frame-Options'] = 'DENY'
    headers['X-Content-Type-Options'] = 'nosniff'
    headers['Referrer-Policy'] = referrer
    if no_store:
        headers['Cache-Control'] = 'no-store'
    return response
