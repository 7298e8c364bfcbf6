"""Alert pages, one module per page group: the portal inbox, composing, reading, relaying, the standing
relay rules, acknowledgement of receipt and tracking.

Thin: who may see an alert is asked of `sharing.policy` (never decided here), who may send of
`accounts.access`, and every change is made by `alerts.services`, whose errors go back onto the form.
"""
