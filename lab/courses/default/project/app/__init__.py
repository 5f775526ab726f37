"""The churn service: a Litestar app that serves the model, talks to the CRM and is monitored."""
