"""Tools for tipsim run files: calibration against real-world targets."""

__version__ = "0.1.0"
