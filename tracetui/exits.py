"""Exit statuses, as mtr and most Unix tools use them."""

EXIT_OK = 0
EXIT_FAILURE = 1
"""The run could not start or finish (no privileges, a socket error, a file not written)."""
EXIT_USAGE = 2
"""Bad input: an option, a value, a host name, a file."""
EXIT_SIGNAL_BASE = 128
"""Ended by signal N: 128 + N, as the shell reports it."""
