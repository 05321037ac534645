"""Outbound dialing decisions: pacing, calling windows, retry rules and lead files.

Pure like the rest of :mod:`asterisk_cc.core`: every function takes the data and ``now`` it
needs and returns a decision; the dialer service does the I/O.
"""
