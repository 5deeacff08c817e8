"""人工知能 II / Artificial Intelligence II: the course's code.

The package holds what the lectures run: small datasets that ship offline,
small models, the experiments that train them and draw the site's figures,
and the figure pipeline that caches those runs.
"""

LANGS = ("ja", "en")
"""The site's languages, Japanese first."""

__version__ = "0.1.0"
