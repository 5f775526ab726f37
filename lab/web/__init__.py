"""The web layer serving and the CRM share: problem details, bearer tokens, the request id and
the Prometheus HTTP middleware. It imports only settings-level modules, never a service."""
