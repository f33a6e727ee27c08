"""PSP notification parsers (Buckaroo, Mollie, Adyen, Stripe) into raw.psp_events."""
