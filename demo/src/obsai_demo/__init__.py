"""ObsAI's demo world: a small production estate to ask questions about.

`estate` says what exists, `model` how its numbers move with time, `series`
turns both into metric families; `exporter` serves them live, `backfill` writes
their history, and `prometheus` configures the Prometheus that scrapes them.
"""
