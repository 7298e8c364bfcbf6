"""CEPTOAR platform: information sharing and analysis for critical-infrastructure sectors."""

__version__ = "0.1.0"
