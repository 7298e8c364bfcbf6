"""The reports pages, one module per page group: the reporter's pages, triage, failure cases and the
statistics. Thin: visibility is `sharing.policy`'s, the right to act `reports.access`'s, every change a
service's. The routes are all in `reports.urls`."""
