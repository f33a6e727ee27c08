"""Identifiers and check digits, a whole array at a time.

IBANs (ISO 13616, mod 97), Dutch 16-digit payment references (betalingskenmerk, weighted
mod 11), RF creditor references (ISO 11649, mod 97) and random-looking but unique provider ids.
"""

from __future__ import annotations

import numpy as np

DIGITS = np.array(list("0123456789"))
HEX_UPPER = np.array(list("0123456789ABCDEF"))
BASE36_UPPER = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))

# VAT numbers: entity n numbers its customers from n * VAT_BLOCK; group debtors use the last
# block, so no two debtors share a number by accident.
VAT_BLOCK = 10**6
GROUP_VAT_BLOCK = 999 * VAT_BLOCK
_MASK_48 = np.uint64((1 << 48) - 1)
_ODD_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
# Weights of the Dutch payment reference, from the rightmost digit leftwards.
_NL_WEIGHTS = np.array([2, 4, 8, 5, 10, 9, 7, 3, 6, 1, 2, 4, 8, 5, 10])


def digit_matrix(values: np.ndarray, width: int, base: int = 10) -> np.ndarray:
    """The base-`base` digits of non-negative integers, most significant first: (n, width)."""
    rest = np.asarray(values, dtype=np.uint64).copy()
    digits = np.zeros((rest.size, width), dtype=np.int64)
    for position in range(width - 1, -1, -1):
        digits[:, position] = rest % np.uint64(base)
        rest //= np.uint64(base)
    return digits


def join_chars(chars: np.ndarray) -> np.ndarray:
    """Join each row of an (n, width) array of single characters into one string."""
    width = max(chars.shape[1], 1)
    if chars.shape[0] == 0 or chars.shape[1] == 0:
        return np.full(chars.shape[0], "", dtype=f"<U{width}")
    return np.ascontiguousarray(chars.astype("<U1")).view(f"<U{width}").reshape(-1)


def encode(values: np.ndarray, width: int, alphabet: np.ndarray = DIGITS) -> np.ndarray:
    """Fixed-width strings of non-negative integers; with DIGITS this is zero padding."""
    return join_chars(alphabet[digit_matrix(values, width, len(alphabet))])


def scramble(counter: np.ndarray, salt: int) -> np.ndarray:
    """Map counters below 2**48 one-to-one onto random-looking 48-bit numbers.

    Adding a salt, multiplying by an odd number and xor-shifting are each invertible modulo
    2**48, so distinct counters give distinct ids without a uniqueness check.
    """
    value = (np.asarray(counter, dtype=np.uint64) + np.uint64(salt)) & _MASK_48
    value = (value * _ODD_MULTIPLIER) & _MASK_48
    return value ^ (value >> np.uint64(21))


def mod97(digits: np.ndarray) -> np.ndarray:
    """The remainder modulo 97 of each row of decimal digits."""
    rest = np.zeros(digits.shape[0], dtype=np.int64)
    for column in range(digits.shape[1]):
        rest = (rest * 10 + digits[:, column]) % 97
    return rest


def _letter_digits(letters: str) -> list[int]:
    """ISO 13616 letters as numbers (A=10 ... Z=35), each written as two digits."""
    numbers = [ord(letter) - ord("A") + 10 for letter in letters.upper()]
    return [int(d) for number in numbers for d in str(number)]


# Country: (bank codes written as letters, number of digits in the rest of the BBAN).
IBAN_LAYOUT: dict[str, tuple[tuple[str, ...], int]] = {
    "NL": (("INGB", "RABO", "ABNA", "SNSB", "TRIO", "KNAB", "ASNB"), 10),
    "BE": ((), 12),
    "DE": ((), 18),
    "CZ": ((), 20),
    "AT": ((), 16),
}


def ibans(country: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Fake but check-digit-valid IBANs of one country."""
    banks, length = IBAN_LAYOUT[country]
    account = rng.integers(0, 10, size=(n, length))
    bank_text = np.full(n, "", dtype="<U4")
    bank_digits = np.zeros((n, 0), dtype=np.int64)
    if banks:
        choice = rng.integers(0, len(banks), size=n)
        bank_text = np.array(banks)[choice]
        bank_digits = np.array([_letter_digits(bank) for bank in banks])[choice]
    country_digits = np.tile([*_letter_digits(country), 0, 0], (n, 1))
    check = 98 - mod97(np.hstack([bank_digits, account, country_digits]))
    text = np.char.add(np.char.add(country, encode(check, 2)), bank_text)
    return np.char.add(text, join_chars(DIGITS[account]))


def dutch_payment_references(numbers: np.ndarray) -> np.ndarray:
    """16-digit Dutch payment references: a mod-11 check digit before a 15-digit number."""
    digits = digit_matrix(numbers, 15)
    total = (digits[:, ::-1] * _NL_WEIGHTS).sum(axis=1)
    check = 11 - total % 11
    check = np.where(check == 10, 1, np.where(check == 11, 0, check))
    return np.char.add(DIGITS[check], join_chars(DIGITS[digits]))


def rf_references(numbers: np.ndarray, width: int) -> np.ndarray:
    """ISO 11649 creditor references 'RF' + two check digits + a `width`-digit number."""
    digits = digit_matrix(numbers, width)
    suffix = np.tile([*_letter_digits("RF"), 0, 0], (digits.shape[0], 1))
    check = 98 - mod97(np.hstack([digits, suffix]))
    return np.char.add(np.char.add("RF", encode(check, 2)), join_chars(DIGITS[digits]))


def vat_numbers(country: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """VAT numbers shaped like the country's (NL: 9 digits + B01, BE: 0 + 9 digits, others:
    9 digits), one per distinct counter below 10**9, drawn from no random stream so adding
    them leaves every other generated value as it was. No check digits: nothing validates
    them."""
    digits = encode(np.asarray(counter, dtype=np.int64) % 10**9, 9)
    country = np.asarray(country).astype(str)
    body = np.where(country == "BE", np.char.add("0", digits), digits)
    body = np.where(country == "NL", np.char.add(body, "B01"), body)
    return np.char.add(country, body)
