"""digest: publish a regional-security digest of clippings as a static site."""

__version__ = "0.1.0"
