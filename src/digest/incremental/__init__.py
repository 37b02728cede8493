"""The only code that remembers a build: fingerprints, the store, the snapshot, the list of output files, and the plan of what to render."""
