"""watchkeeper's version, importable without loading the package's verbs."""

__version__ = "0.1.0"
