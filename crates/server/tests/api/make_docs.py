"""The sample documents of the assistant's ingestion tests, generated rather
than checked in, so every byte of them is explained here.

Usage: python make_docs.py OUTDIR    (needs reportlab, python-docx, pypdf)

Well-formed documents, each with a sentence the tests ask about and, where
the format has pages, that sentence on a known page:

- handbook.pdf   3 pages, real text layer (Helvetica); "Marlowe" on page 2,
                 the hazelnut torte allergen on page 3.
- pricing.docx   headings, a hard page break; wedding cake before it,
                 breakfast boxes after it.
- notes.md, faq.html, plain.txt   headings/paragraphs; faq.html hides the
                 word "scriptsecret" in a <script> and CSS in a <style>,
                 neither of which is text; plain.txt is UTF-8 with accents.

Documents that must be refused, each for its own reason:

- secret.pdf     encrypted, a user password is needed to open it.
- scanned.pdf    pages but no text layer (only shapes).
- corrupt.docx   starts like a zip, is truncated garbage.
- fake.pdf       a PNG signature and noise, named .pdf.

Hostile documents, there to prove the parser sandbox fails only their own
document (a time, memory or recursion limit hit) and never the worker, the
server or the other documents of the same upload:

- bomb.docx      a DOCX-shaped zip whose word/document.xml inflates to
                 512 MiB (well-formed if fully inflated), under 1 MB on disk.
- deep.pdf       valid syntax and xref, a page tree 100,000 /Pages deep.
- wide.pdf       one /Pages node claiming 10,000,000 pages whose /Kids
                 names the same page 2,000,000 times.

The output is byte-for-byte deterministic: fixed dates and ids (reportlab
invariant mode, fixed docx core properties and zip timestamps, a fixed PDF
/ID before encryption, seeded noise). Prints nothing; a few seconds at most.
"""

import datetime
import hashlib
import io
import os
import random
import sys
import zipfile

from docx import Document
from docx.enum.text import WD_BREAK
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

FIXED_DATE = datetime.datetime(2024, 1, 15, 9, 30, 0, tzinfo=datetime.timezone.utc)
ZIP_DATE = (2024, 1, 15, 9, 30, 0)

MARGIN = 72
BODY_FONT, BODY_SIZE, BODY_LEADING = "Helvetica", 11, 15
HEAD_FONT, HEAD_SIZE = "Helvetica-Bold", 20


# --- well-formed documents -------------------------------------------------

HANDBOOK = [
    (
        "Welcome to Harbor Bakery",
        [
            "Harbor Bakery has baked bread by the old harbour since 1987. "
            "We are a team of nine bakers, three drivers and two people at the "
            "counter, and every loaf we sell is shaped by hand in our own "
            "workshop behind the shop.",
            "This handbook explains how the bakery works day to day: when we "
            "open, where our deliveries go, how we look after our starters and "
            "what our customers need to know about allergens. Read it in your "
            "first week and ask the head baker about anything that is unclear.",
        ],
    ),
    (
        "Opening hours and deliveries",
        [
            "Deliveries to the Marlowe district leave the bakery every Thursday at 6 am. "
            "The shop itself is open from 7 am to 6 pm on weekdays and from "
            "8 am to 1 pm on Saturdays; it is closed on Sundays.",
            "Our sourdough starter is fed with rye flour every morning before "
            "the first bake. Keep it in the cool corner of the workshop, and "
            "never feed it with white flour, which makes the bread too sour.",
        ],
    ),
    (
        "Allergens",
        [
            "Our hazelnut torte contains tree nuts and is baked on shared equipment. "
            "Customers with a nut allergy should be told this before they "
            "order, and the allergen folder at the counter lists every recipe.",
        ],
    ),
]


def pdf_canvas(path, title):
    c = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=0)
    c.setTitle(title)
    c.setAuthor("Harbor Bakery")
    c.setCreator("StackPro make_docs.py")
    return c


def make_handbook(out):
    c = pdf_canvas(os.path.join(out, "handbook.pdf"), "Harbor Bakery handbook")
    width, height = A4
    text_width = width - 2 * MARGIN
    for heading, paragraphs in HANDBOOK:
        y = height - MARGIN
        c.setFont(HEAD_FONT, HEAD_SIZE)
        c.drawString(MARGIN, y, heading)
        y -= HEAD_SIZE * 2
        c.setFont(BODY_FONT, BODY_SIZE)
        for paragraph in paragraphs:
            # Every paragraph opens with the sentence the tests look for, and
            # it fits on one line, so extraction keeps it whole.
            for line in simpleSplit(paragraph, BODY_FONT, BODY_SIZE, text_width):
                c.drawString(MARGIN, y, line)
                y -= BODY_LEADING
            y -= BODY_LEADING
        c.showPage()
    c.save()


def save_docx_deterministic(document, path):
    """python-docx stamps zip entries with the current time; rewrite them."""
    buf = io.BytesIO()
    document.save(buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))


def make_pricing(out):
    doc = Document()
    props = doc.core_properties
    props.title = "Catering price list"
    props.author = "Harbor Bakery"
    props.last_modified_by = "Harbor Bakery"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_printed = FIXED_DATE
    props.revision = 1

    doc.add_heading("Catering price list", level=1)
    doc.add_paragraph(
        "Harbor Bakery caters weddings, birthdays and office events. The prices "
        "below are valid for orders placed at least one week ahead."
    )
    doc.add_heading("Wedding cakes", level=2)
    wedding = doc.add_paragraph(
        "A three-tier wedding cake costs 480 euros including delivery within 20 km. "
        "Every tier can have its own filling."
    )
    wedding.add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading("Corporate breakfasts", level=2)
    doc.add_paragraph(
        "Breakfast boxes for offices start at 9 euros per person with a minimum "
        "of twelve boxes."
    )
    save_docx_deterministic(doc, os.path.join(out, "pricing.docx"))


NOTES_MD = """\
# Staff notes

Short notes from the bakers for whoever is on the early shift.

## Ovens

The left deck oven runs 15 degrees hotter than its dial shows.
Turn it down before the first tray of croissants goes in.

## Cleaning

The proofing cabinets are wiped down every evening, and the flour
bins are emptied and washed on the last Friday of each month.
"""

FAQ_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>FAQ</title>
<style>
body { font-family: sans-serif; }
h2.stylesecret { color: #a0522d; }
</style>
<script>
var scriptsecret = "scriptsecret must never be indexed";
document.addEventListener("DOMContentLoaded", function () { console.log(scriptsecret); });
</script>
</head>
<body>
<h1>Questions</h1>
<h2>Parking</h2>
<p>Customers may park behind the bakery on Quay Lane after 4 pm.</p>
<h2>Gift cards</h2>
<p>Gift cards are sold at the counter in amounts of 10, 25 and 50 euros and stay valid for two years.</p>
</body>
</html>
"""

PLAIN_TXT = """\
Harbor Bakery seasonal notes

Every season we change a few recipes; these notes say what and when.

The bakery closes for inventory on the first Monday of February.

In summer the café serves crème brûlée and fruit tarts with crème fraîche.
"""


def write_text(out, name, text):
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# --- documents that must be refused ----------------------------------------


class FixedIdWriter(PdfWriter):
    """pypdf draws the PDF /ID at random; the key of RC4 encryption depends
    on it, so fix it to keep the output reproducible."""

    def generate_file_identifiers(self):
        fixed = ByteStringObject(hashlib.md5(b"stackpro make_docs secret.pdf").digest())
        self._ID = ArrayObject((fixed, fixed))


def make_secret(out):
    buf = io.BytesIO()
    c = pdf_canvas(buf, "Vault")
    c.setFont(BODY_FONT, BODY_SIZE)
    c.drawString(MARGIN, A4[1] - MARGIN, "The safe in the back office opens with code 4711.")
    c.showPage()
    c.save()
    buf.seek(0)
    writer = FixedIdWriter(clone_from=PdfReader(buf))
    writer.encrypt("pw")
    with open(os.path.join(out, "secret.pdf"), "wb") as f:
        writer.write(f)


def make_scanned(out):
    c = pdf_canvas(os.path.join(out, "scanned.pdf"), "Scan")
    width, height = A4
    # A "scanned letter": grey bars where lines of text would be, no text.
    c.setFillGray(0.85)
    c.rect(MARGIN - 12, MARGIN - 12, width - 2 * MARGIN + 24, height - 2 * MARGIN + 24, fill=1, stroke=0)
    c.setFillGray(0.2)
    y = height - MARGIN - 20
    c.rect(MARGIN, y, 220, 14, fill=1, stroke=0)
    y -= 40
    for i in range(24):
        c.rect(MARGIN, y, width - 2 * MARGIN - (i * 37) % 120, 7, fill=1, stroke=0)
        y -= 16
    c.setStrokeGray(0)
    c.line(MARGIN, MARGIN + 30, MARGIN + 150, MARGIN + 50)
    c.showPage()
    c.save()


def make_corrupt(out, rng):
    # A zip local file header, then noise; no central directory anywhere.
    data = bytearray(b"PK\x03\x04\x14\x00\x00\x00\x08\x00")
    data += rng.randbytes(1014)
    # The noise must not contain an end-of-central-directory signature by chance.
    data = bytes(data).replace(b"PK\x05\x06", b"PK\x00\x00").replace(b"PK\x06\x06", b"PK\x00\x00")
    with open(os.path.join(out, "corrupt.docx"), "wb") as f:
        f.write(data)


def make_fake(out, rng):
    with open(os.path.join(out, "fake.pdf"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + rng.randbytes(4096))


# --- hostile documents -----------------------------------------------------

CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/word/document.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>\
</Types>"""

ROOT_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="word/document.xml"/>\
</Relationships>"""

DOC_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body>"
)
DOC_TAIL = b"</w:body></w:document>"
# Uncompressed size of word/document.xml, give or take a paragraph. 512 MiB
# rather than 1 GiB: deflating 1 GiB takes over 3 s, and 512 MiB is already
# far beyond any per-document limit.
BOMB_SIZE = 512 << 20
BOMB_PARA = b"<w:p><w:r><w:t>" + b"a" * 8000 + b"</w:t></w:r></w:p>"


def make_bomb(out):
    chunk = BOMB_PARA * 128  # ~1 MiB
    body = BOMB_SIZE - len(DOC_HEAD) - len(DOC_TAIL)
    full_chunks, rest = divmod(body, len(chunk))
    rest_paras = rest // len(BOMB_PARA)
    with zipfile.ZipFile(os.path.join(out, "bomb.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS)):
            z.writestr(zipfile.ZipInfo(name, date_time=ZIP_DATE), data, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("word/document.xml", date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as w:
            w.write(DOC_HEAD)
            for _ in range(full_chunks):
                w.write(chunk)
            w.write(BOMB_PARA * rest_paras)
            w.write(DOC_TAIL)


def write_raw_pdf(path, objects, root=1):
    """objects[i] is the body (bytes) of object i+1. Writes header, objects,
    a classic xref table with exact offsets, and the trailer."""
    with open(path, "wb") as f:
        f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        pos = f.tell()
        offsets = []
        for num, body in enumerate(objects, start=1):
            offsets.append(pos)
            piece = b"%d 0 obj\n%s\nendobj\n" % (num, body)
            f.write(piece)
            pos += len(piece)
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)]
        xref.extend(b"%010d 00000 n \n" % off for off in offsets)
        f.write(b"".join(xref))
        f.write(
            b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, root, pos)
        )


PAGE_CONTENT = b"BT /F1 12 Tf 72 770 Td (This page sits at the bottom of a hostile page tree.) Tj ET"


def leaf_page_objects(parent, first_num):
    """A /Page (numbered first_num) with its content stream and font."""
    content, font = first_num + 1, first_num + 2
    page = (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (parent, font, content)
    )
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(PAGE_CONTENT), PAGE_CONTENT)
    font_obj = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    return [page, stream, font_obj]


DEEP_LEVELS = 100_000


def make_deep(out):
    # 1: catalog; 2 .. DEEP_LEVELS+1: /Pages, each the only kid of the one
    # before; then the page, its content and its font.
    first_pages, last_pages = 2, DEEP_LEVELS + 1
    page_num = last_pages + 1
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for n in range(first_pages, last_pages + 1):
        kid = n + 1
        parent = b"" if n == first_pages else b" /Parent %d 0 R" % (n - 1)
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (kid, parent))
    objects += leaf_page_objects(last_pages, page_num)
    write_raw_pdf(os.path.join(out, "deep.pdf"), objects)


WIDE_REFS = 2_000_000
WIDE_CLAIMED = 10_000_000


def make_wide(out):
    # 1: catalog; 2: the /Pages node; 3: the one page, named over and over.
    refs_per_line = 20
    kids = (b"3 0 R " * refs_per_line + b"\n") * (WIDE_REFS // refs_per_line)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [\n%s] >>" % (WIDE_CLAIMED, kids),
    ]
    objects += leaf_page_objects(2, 3)
    write_raw_pdf(os.path.join(out, "wide.pdf"), objects)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python make_docs.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20240115)

    make_handbook(out)
    make_pricing(out)
    write_text(out, "notes.md", NOTES_MD)
    write_text(out, "faq.html", FAQ_HTML)
    write_text(out, "plain.txt", PLAIN_TXT)
    make_secret(out)
    make_scanned(out)
    make_corrupt(out, rng)
    make_fake(out, rng)
    make_deep(out)
    make_wide(out)
    make_bomb(out)


if __name__ == "__main__":
    main()
