"""Every change to an agreement: one service function per state change, each in one transaction."""
