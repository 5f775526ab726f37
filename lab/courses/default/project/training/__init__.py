"""Training: fit the churn model, track it in MLflow, write the model file."""
