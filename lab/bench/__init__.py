"""`lab bench`: throughput and latency of the serving API against references in the same run."""
