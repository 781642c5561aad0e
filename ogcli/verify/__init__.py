"""Checking calls from chain alone, one library for every reader: the facts `ogcli infer verify`
judges (calls.py, for calls settled one record at a time and for calls committed in batches), the
dispute grounds of batch records (batch_grounds.py: the verifier role's judge, the dispute finder
and `infer verify` alike) and what is open to dispute (disputes.py, `ogcli node disputes`).

The checks themselves are pure (ogcli/core/receipt_checks.py); this package gathers what they
are run on. Still outside it: the verifier role's judging of records settled alone
(node/verifier.py, on chain/disputes.py's GroundFinder) and the dashboard's reads.
"""
