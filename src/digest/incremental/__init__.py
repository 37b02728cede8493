"""The only code that remembers a build: fingerprints, the store, the snapshot, the list of
output files, and the plan of what to render."""

CACHE_FILE = ".digest-cache/build.sqlite"  # below the project's root
ALWAYS = "*"  # the signature of a file rendered on every build (home, indexes, data files)
