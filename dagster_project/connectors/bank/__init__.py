"""Bank statement parsers (CAMT.05x, MT940/MT942) into bank_statements and bank_transactions."""
