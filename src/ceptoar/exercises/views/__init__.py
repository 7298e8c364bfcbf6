"""The exercises' pages, one module per page group: planning (list, plan, injects), running (the buttons),
the exercise page with its scoreboard, and the after-action report. Their routes are all in `urls.py`."""
