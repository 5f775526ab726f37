"""Static analysis of lab/: its types (mypy) and its layering (import-linter). Order plays no
part here, so `lab test --seeds N` runs these once, with the whole suite."""
