"""A whole organisation at once: as one JSON file and back (``orgfile``, checked by
``checking`` and ``shapes``), started from a template or another organisation's structure
(``starters``), and the demo. It spans every app, so it sits above them, beside the
project package; ``core`` at the bottom knows nothing of it."""
