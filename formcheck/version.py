"""The package version, in one place (formcheck.__version__)."""

__version__ = "0.1.0"
