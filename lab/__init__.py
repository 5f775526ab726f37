"""mlops-lab: a Docker-free MLOps teaching lab."""

__version__ = "0.1.0"
