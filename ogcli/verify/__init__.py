"""Checking calls from chain alone, one library for every reader:

- calls.py: the facts `ogcli infer verify` judges, for a call settled as its own record and for
  one committed in a batch;
- record_judge.py and batch_judge.py: the verdicts the verifier role attests, on records settled
  alone and on batches, by the same rules;
- record_grounds.py and batch_grounds.py: which dispute ground holds against a record, as the
  contract checks it (the verifier role, the dispute finder and `infer verify` alike);
- judges.py: the checks that ask a node (re-running a model, a zkML proof) and the rule on which
  endpoints may be asked;
- disputes.py: what is open to dispute (`ogcli node disputes`).

The checks themselves are pure (ogcli/core/receipt_checks.py, and ogcli/core/result_signature.py
for the enclave's signature); this package gathers what they are run on. The verifier role
(ogcli/node/verifier.py) keeps only following the chain, its checkpoint and attesting.
"""
