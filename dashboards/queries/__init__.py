"""The dashboard's queries, one module per page family; each function is cached and scoped."""
