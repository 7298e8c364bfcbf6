"""The forms of the reports pages, one module per page group: the reporter's report form, triage, failure
cases and the statistics filters. They turn what was typed into values; the services decide what is valid."""
