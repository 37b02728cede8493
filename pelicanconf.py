"""Site settings for development builds (`digest build`); production adds publishconf.py."""

SITENAME = "Central Asia Security Digest"
SITESUBTITLE = "Clippings on borders, conflict and security in Central Asia and its neighbours"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
THEME = "theme"
RELATIVE_URLS = True

# Clippings live at content/clippings/YYYY/MM/<slug>.md and are published at the same place.
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
STATIC_PATHS = ["images"]

# The digest's own settings (see docs/settings.md); these are the defaults.
DIGEST_PAIR_MIN_CLIPPINGS = 1
DIGEST_LISTING_LATEST = 20
DIGEST_FEED_MAX_ITEMS = 20
DIGEST_LISTING_ALL = 150
