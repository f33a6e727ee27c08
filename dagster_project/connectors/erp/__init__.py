"""ERP export parsers (XAF 3.2 auditfiles, UBL 2.1 invoices) into the canonical contract."""
