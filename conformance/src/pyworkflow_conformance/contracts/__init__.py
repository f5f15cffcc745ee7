"""One module per contract area; each defines a ``<Area>Contract`` class."""
