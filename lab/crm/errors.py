"""What can go wrong when talking to the CRM, each with the HTTP status the caller should answer.

CRM 404 -> 404; a CRM 5xx, malformed JSON or a wrong feature shape -> 502; a timeout -> 504;
connection refused -> 503 naming the CRM URL and how to start it; a request id reused for a
different write -> 409.
"""

from __future__ import annotations


class CrmError(Exception):
    """Base class: `status` is the HTTP status to answer, `title` a short summary."""

    status = 502
    title = "CRM error"
    outcome = "crm_error"  # the `outcome` label of crm_segment_updates_total

    def __init__(self, detail: str, *, operation: str = ""):
        super().__init__(detail)
        self.detail = detail
        self.operation = operation


class CrmNotFoundError(CrmError):
    status = 404
    title = "Customer not found"
    outcome = "not_found"


class CrmConflictError(CrmError):
    """The request id was already used for a different segment write."""

    status = 409
    title = "Request id reused"
    outcome = "conflict"


class CrmBadGatewayError(CrmError):
    """The CRM answered, but with an error status, malformed JSON or a wrong shape."""

    status = 502
    title = "Bad answer from the CRM"
    outcome = "crm_bad_answer"


class CrmTimeoutError(CrmError):
    status = 504
    title = "CRM timed out"
    outcome = "crm_timeout"


class CrmUnavailableError(CrmError):
    status = 503
    title = "CRM unavailable"
    outcome = "crm_unavailable"
