"QR codes of the public addresses printed on tickets and receipts"
import segno
from genshi.core import Markup
from genshi.input import XML


def _svg(url):
    # make_qr: a full QR code, never a Micro QR code that many phones cannot
    # read
    return segno.make_qr(url, error='m').svg_inline(
        border=2, omitsize=True, svgclass='qr')


def qr_code(url):
    "An inline SVG QR code of url (medium error correction), for a page"
    return Markup(_svg(url))


def qr_element(url):
    """The QR code of url as parsed SVG elements, for a report: reports may
    not load data: URIs, and markup given as a string would be escaped by
    the template's translator"""
    return XML(_svg(url))
