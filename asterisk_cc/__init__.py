"""asterisk_cc: a contact centre on a stock Asterisk 22 PBX."""

__version__ = "0.1.0"
