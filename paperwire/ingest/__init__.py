"""Turn source files and feeds into stored papers: one module per source, plus the runner."""
