"""Delivery operations, one job per module: the fan-out's rows (`fanout`), the send queue (`queue`), sending
a batch (`sending`), the sweeper (`sweeper`) and broken channels (`broken`)."""
