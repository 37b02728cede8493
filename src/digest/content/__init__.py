"""Clipping files on disk, without Pelican: finding and checking them, --fix, Markdown to safe HTML, new clippings, the comparison with the last publish."""
