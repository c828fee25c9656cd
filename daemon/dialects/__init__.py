"""Dialects: each wire format of the one action core (Kernel's computer controls now; others as they come)."""
