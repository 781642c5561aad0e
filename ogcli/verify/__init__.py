"""Checking settled calls from chain alone: the facts `ogcli infer verify` judges, for calls
settled one record at a time (`exact`) and for calls committed in batches (channels).

The checks themselves are pure (ogcli/core/receipt_checks.py); this package gathers what they
are run on. Issue 16 moves the verifier role's, the dispute finder's and the dashboard's checks
here too, so that every reader judges a call by one library.
"""
