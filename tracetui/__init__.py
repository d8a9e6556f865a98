"""tracetui: a continuous network path monitor for the terminal."""

__version__ = "0.1.0"
