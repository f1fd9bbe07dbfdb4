"""QR codes of the public addresses printed on tickets and receipts, of
the equipment codes printed on labels, and of the pages shown on screen"""
import segno
from genshi.core import Markup
from genshi.input import XML


def _svg(text, border):
    # make_qr: a full QR code, never a Micro QR code that many phones and
    # scanners cannot read
    return segno.make_qr(text, error='m').svg_inline(
        border=border, omitsize=True, svgclass='qr')


def qr_code(text):
    "An inline SVG QR code of text (medium error correction), for a page"
    return Markup(_svg(text, 2))


def qr_element(text, border=2):
    """The QR code of text as parsed SVG elements, for a report: reports may
    not load data: URIs, and markup given as a string would be escaped by
    the template's translator; border is the quiet zone in modules (0 when
    the label's margins make it)"""
    return XML(_svg(text, border))
