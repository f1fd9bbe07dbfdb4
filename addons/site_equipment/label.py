"""Labels stuck on the equipment: its code in large type and as a QR code
that a phone or a 2D barcode scanner reads into the inventory count."""
from trytond.report import Report

from service_network.qr import qr_element

# An A4 sheet of 3 × 8 labels of 70 × 36 mm
LABELS_PER_SHEET = 24


def qr_code(code):
    """Return the QR code of code as an inline SVG element that weasyprint
    draws as vectors, sharp at any size; the label's margins are its quiet
    zone"""
    return qr_element(code, border=0)


def sheets(records, size=LABELS_PER_SHEET):
    "Return records cut in sheets of size labels"
    return [records[i:i + size] for i in range(0, len(records), size)]


class EquipmentLabel(Report):
    """Sheets of labels for the selected equipment, one label each: an HTML
    template rendered to PDF by weasyprint"""
    __name__ = 'equipment.label'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        # by site, then by code: the labels of a site come together
        records = sorted(records,
            key=lambda e: (e.site.code, e.label_code or '', e.id))
        context['sheets'] = sheets(records)
        context['qr_code'] = qr_code
        return context
