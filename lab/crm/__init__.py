"""The built-in CRM: a small Litestar + SQLite service holding customers, features and segments.

`lab.crm.app.create_app(settings)` builds the service (`lab crm` runs it);
`lab.crm.client.CrmClient` is how the rest of the lab talks to it (or to a real CRM that keeps
the same small API at CRM_URL).
"""
