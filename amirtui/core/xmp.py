"""XMP packets for published files: title, caption, alt text and keywords in the fields the web and DAMs read.

| purpose  | XMP property                                   |
|----------|------------------------------------------------|
| title    | ``dc:title`` (lang-alt, x-default)             |
| caption  | ``dc:description`` (lang-alt, x-default)       |
| alt text | ``Iptc4xmpCore:AltTextAccessibility`` (lang-alt)|
| keywords | ``dc:subject`` (bag)                           |

Caption and alt text stay separate fields: CMSs that copy a caption into ``alt`` produce poor alt text.
Text must round-trip byte-exact (SQL-looking text, quotes, ``<>&``, emoji, long captions), so every character that
XML would otherwise change on reading (``\\r`` is normalised to ``\\n`` by every parser) is written as a character
reference, and characters XML 1.0 cannot hold at all are refused with a message naming the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
}
#: The APP1 identifier of a standard XMP packet in a JPEG.
XMP_APP1_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
#: A JPEG segment holds 65,533 bytes of payload; the identifier takes 29 of them.
MAX_PACKET_BYTES = 65533 - len(XMP_APP1_HEADER)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Characters XML 1.0 cannot represent, even as references (C0 controls except tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XmpError(ValueError):
    """Text that cannot be stored in XMP, or a packet that cannot be read; the message says which and why."""


def _escape(text: str, field: str) -> str:
    bad = _INVALID_XML.search(text)
    if bad:
        raise XmpError(
            f"{field} holds the control character U+{ord(bad.group()):04X} at position {bad.start()}, which XMP "
            "(XML 1.0) cannot store; remove it from the text"
        )
    # & first; \r and \t as references so the reader's newline/attribute normalisation cannot change them.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _lang_alt(tag: str, text: str, field: str) -> str:
    return (
        f"   <{tag}>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">{_escape(text, field)}</rdf:li>\n"
        f"    </rdf:Alt>\n   </{tag}>\n"
    )


def build_xmp(title: str, caption: str, alt_text: str, keywords: Iterable[str]) -> bytes:
    """A UTF-8 XMP packet with ``dc:title``, ``dc:description``, ``Iptc4xmpCore:AltTextAccessibility`` and
    ``dc:subject``. Empty fields are left out. Raises :class:`XmpError` for text XML cannot hold or a packet too large
    for one JPEG segment."""
    body = ""
    if title:
        body += _lang_alt("dc:title", title, "title")
    if caption:
        body += _lang_alt("dc:description", caption, "caption")
    if alt_text:
        body += _lang_alt("Iptc4xmpCore:AltTextAccessibility", alt_text, "alt text")
    kws = [k for k in keywords if k]
    if kws:
        items = "".join(f"     <rdf:li>{_escape(k, f'keyword {k!r}')}</rdf:li>\n" for k in kws)
        body += f"   <dc:subject>\n    <rdf:Bag>\n{items}    </rdf:Bag>\n   </dc:subject>\n"
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{NS["x"]}">\n'
        f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
        f'  <rdf:Description rdf:about="" xmlns:dc="{NS["dc"]}" xmlns:Iptc4xmpCore="{NS["Iptc4xmpCore"]}">\n'
        f"{body}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode("utf-8")
    if len(packet) > MAX_PACKET_BYTES:
        raise XmpError(
            f"the XMP text is {len(packet)} bytes, more than the {MAX_PACKET_BYTES} one JPEG segment holds; "
            "shorten the caption, alt text or keywords"
        )
    return packet


# ---------------------------------------------------------------- reading (tests, validation)


def _jpeg_xmp_packet(data: bytes) -> bytes | None:
    """The standard XMP packet from a JPEG's APP1 segments, or None. Walks the markers up to the image data."""
    if data[:2] != b"\xff\xd8":
        raise XmpError("not a JPEG (no SOI marker)")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise XmpError(f"corrupt JPEG marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD9, 0xDA):  # EOI / start of scan: no metadata beyond this point
            return None
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i + 4 : i + 2 + length]
        if marker == 0xE1 and segment.startswith(XMP_APP1_HEADER):
            return segment[len(XMP_APP1_HEADER) :]
        i += 2 + length
    return None


def _li_text(el) -> str:
    return el.text or ""


def read_xmp(source: bytes | bytearray | memoryview | str | Path) -> dict:
    """Read the standard XMP packet of a JPEG (bytes or a path) with defusedxml.

    Returns ``{"title", "caption", "alt_text": str | None, "keywords": list[str]}``, or ``{}`` when the file has no XMP.
    Lang-alt values prefer ``x-default``, else the first entry.
    """
    from defusedxml import ElementTree as DET  # imported here: only tests and validation read XMP back

    data = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else Path(source).read_bytes()
    packet = _jpeg_xmp_packet(data)
    if packet is None:
        return {}
    try:
        root = DET.fromstring(packet)
    except Exception as exc:  # defusedxml raises ParseError or its own EntitiesForbidden etc.
        raise XmpError(f"the XMP packet is not well-formed XML ({exc})") from exc

    def lang_alt(prop: str) -> str | None:
        for desc in root.iter(f"{{{NS['rdf']}}}Description"):
            prefix, local = prop.split(":")
            el = desc.find(f"{{{NS[prefix]}}}{local}")
            if el is None:
                attr = desc.get(f"{{{NS[prefix]}}}{local}")  # the short attribute form
                if attr is not None:
                    return attr
                continue
            items = el.findall(f".//{{{NS['rdf']}}}li")
            if not items:
                return el.text or ""
            for li in items:
                if li.get(_XML_LANG) == "x-default":
                    return _li_text(li)
            return _li_text(items[0])
        return None

    keywords: list[str] = []
    for desc in root.iter(f"{{{NS['rdf']}}}Description"):
        el = desc.find(f"{{{NS['dc']}}}subject")
        if el is not None:
            keywords.extend(_li_text(li) for li in el.findall(f".//{{{NS['rdf']}}}li"))
    return {
        "title": lang_alt("dc:title"),
        "caption": lang_alt("dc:description"),
        "alt_text": lang_alt("Iptc4xmpCore:AltTextAccessibility"),
        "keywords": keywords,
    }
