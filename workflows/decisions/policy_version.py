"""POLICY_VERSION: which rules made a plan. Bump it by hand whenever a rule changes a plan.

A rule is anything in workflows/decisions/ that changes a plan for the same input: a
template's grammar or band, a temperature band, the seed rule, a rewrite, a negative
prompt. The number travels on every plan, result, progress answer and saved clip
version, so anyone can tell which rules made which video. tests/test_plan_drift.py
recomputes the plans of the recorded histories with today's rules and fails when one
changed while this number did not; after bumping it, re-record the histories
(`python tests/record_histories.py`) and deploy the change as a new worker build
(docs/operations.md, "Deploying a new version"), so runs in flight finish on the rules
that planned them.
"""

POLICY_VERSION = 7
