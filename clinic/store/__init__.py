"""The record store, one module per concern; `clinic.records.Records` joins them."""
