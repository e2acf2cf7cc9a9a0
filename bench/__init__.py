"""Performance benchmarks (`make bench`) and the synthetic corpora of the scale benchmark."""
