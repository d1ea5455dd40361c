"""Runtime wiring: connecting to Temporal, building the worker, the embedded stack."""
