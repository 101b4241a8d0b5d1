"""kongres: a self-hosted platform for running a congress."""

__version__ = "0.1.0"
