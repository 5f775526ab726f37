"""The id patterns more than one package checks: one owner, imported everywhere else.

The CRM validates them before an id reaches a URL, a query or SQL; the integration documents
them; the grader asks for ids that match them.
"""

from __future__ import annotations

#: Customer ids of the CRM: `CUST001`, `CUST_TEST_007`, `CUST_000042`. Letters, digits, `_`, `-`.
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"
#: Model version labels (the MODEL_VERSION setting, the CRM's `model_version`): `v1.2.0-stable`.
MODEL_VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-+]{0,63}$"


#: a `lab segment --all` run id (the CRM request ids of its writes start with it)
RUN_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,40}$"
