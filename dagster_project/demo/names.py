"""Fake names, e-mail addresses and phone numbers built from syllables: no real people.

E-mail domains are the reserved example domains (RFC 2606), so nothing can ever be delivered.
"""

from __future__ import annotations

import numpy as np

from dagster_project.demo.codes import DIGITS, join_chars

FIRST_START = ("An", "Be", "Da", "El", "Fe", "Ja", "Ka", "Li", "Ma", "No", "Ro", "Sa", "Ti", "Yo")
FIRST_END = ("na", "ra", "lie", "rik", "mo", "bert", "nus", "ke", "do", "la", "nek", "sja")
LAST_START = ("Ber", "Dor", "Hol", "Kra", "Lin", "Mar", "Ros", "Ste", "Vel", "Wes", "Gra", "Hen")
LAST_END = {
    "NL": ("dijk", "hoven", "ema", "inga", "man", "sen", "veld"),
    "BE": ("aert", "mans", "eyns", "ier", "ens", "ot", "baix"),
    "DE": ("mann", "ler", "berg", "hardt", "ke", "ner", "feld"),
    "AT": ("mann", "huber", "egger", "ler", "bauer", "thaler"),
    "CZ": ("ak", "ek", "ik", "ovsky", "ar", "ec", "icka"),
}
NL_PREFIXES = ("", "", "", "", "van ", "de ", "van der ")
BRAND_START = ("Kor", "Tal", "Vel", "Bre", "Mon", "Dra", "Fen", "Ost", "Lum", "Pri", "Sar", "Vix")
BRAND_END = ("vex", "mo", "ora", "nix", "tec", "lia", "dam", "sta", "ron", "ico", "tra", "lux")
TRADE = {
    "NL": ("Logistiek", "Installatietechniek", "Bouw", "Transport", "Zorggroep", "Techniek"),
    "BE": ("Logistics", "Bouw", "Transport", "Techniek", "Services", "Construct"),
    "DE": ("Logistik", "Bau", "Transport", "Technik", "Service", "Pflegedienst"),
    "AT": ("Logistik", "Bau", "Transport", "Technik", "Service", "Pflege"),
    "CZ": ("Logistika", "Stavby", "Doprava", "Servis", "Technika", "Obchod"),
}
LEGAL_FORM = {"NL": ("B.V.",), "BE": ("BV", "SRL", "NV"), "DE": ("GmbH", "GmbH & Co. KG")}
LEGAL_FORM |= {"AT": ("GmbH",), "CZ": ("s.r.o.", "a.s.")}
PUBLIC_BODY = {"NL": "Gemeente", "BE": "Gemeente", "DE": "Stadt", "AT": "Stadtgemeinde"}
PUBLIC_BODY |= {"CZ": "Město"}
TOWN_END = ("stad", "dorp", "heim", "burg", "ov", "ingen")
INSURER = {"NL": "Zorgverzekeraar", "BE": "Ziekenfonds", "DE": "Krankenkasse"}
INSURER |= {"AT": "Gesundheitskasse", "CZ": "Zdravotní pojišťovna"}
PHONE_PREFIX = {"NL": "+316", "BE": "+324", "DE": "+4915", "AT": "+43660", "CZ": "+4207"}
PHONE_DIGITS = {"NL": 8, "BE": 8, "DE": 8, "AT": 7, "CZ": 8}
MAIL_BOXES = ("finance", "info", "administratie", "crediteuren", "accounts", "buchhaltung")
PERSON_DOMAINS = ("example.com", "example.net", "example.org")


def _pick(options: tuple[str, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    return np.array(options)[rng.integers(0, len(options), size=n)]


def _cat(*parts: np.ndarray | str) -> np.ndarray:
    text = np.asarray(parts[0], dtype=str)
    for part in parts[1:]:
        text = np.char.add(text, part)
    return text


def people(country: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(display names, e-mail addresses) of fake consumers of one country."""
    first = _cat(_pick(FIRST_START, n, rng), _pick(FIRST_END, n, rng))
    last = _cat(_pick(LAST_START, n, rng), _pick(LAST_END[country], n, rng))
    prefix = _pick(NL_PREFIXES, n, rng) if country in ("NL", "BE") else np.full(n, "")
    names = _cat(first, " ", prefix, last)
    number = join_chars(DIGITS[rng.integers(0, 10, size=(n, 2))])
    number = np.where(rng.random(n) < 0.5, number, "")
    local = np.char.lower(_cat(first, ".", np.char.replace(prefix, " ", ""), last, number))
    return names, _cat(local, "@", _pick(PERSON_DOMAINS, n, rng))


def brands(n: int, rng: np.random.Generator) -> np.ndarray:
    return _cat(_pick(BRAND_START, n, rng), _pick(BRAND_END, n, rng))


def companies(
    country: str, segment: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(names, e-mail addresses) of fake organisations; the segment decides the kind."""
    n = segment.size
    brand = brands(n, rng)
    town = _cat(brand, _pick(TOWN_END, n, rng))
    firm = _cat(brand, " ", _pick(TRADE[country], n, rng), " ", _pick(LEGAL_FORM[country], n, rng))
    names = np.where(segment == "public_sector", _cat(PUBLIC_BODY[country], " ", town), firm)
    names = np.where(segment == "healthcare_insurer", _cat(INSURER[country], " ", brand), names)
    domain = np.where(segment == "public_sector", town, brand)
    mails = _cat(_pick(MAIL_BOXES, n, rng), "@", np.char.lower(domain), ".example")
    return names, mails


def phones(country: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """E.164 mobile numbers with the country's prefix."""
    digits = rng.integers(0, 10, size=(n, PHONE_DIGITS[country]))
    return np.char.add(PHONE_PREFIX[country], join_chars(DIGITS[digits]))
