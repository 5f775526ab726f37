"""The segment-update flow: read a customer's features from the CRM, predict, map the churn
probability to a segment (rules in config/segments.yml), write it back to the CRM."""
