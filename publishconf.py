"""Production settings (`digest build --production`, `digest publish`): pelicanconf.py plus these.

SITEURL is the published address: https, no trailing slash. On GitHub Pages it is
https://<user>.github.io/<repository>, or your custom domain. The deploy workflow passes
the address GitHub reports through DIGEST_SITEURL; set it here to publish from your machine.
"""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("DIGEST_SITEURL", "")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL

# A custom domain (for example "digest.example.org"): written to CNAME for GitHub Pages.
DIGEST_CNAME = os.environ.get("DIGEST_CNAME", "")
