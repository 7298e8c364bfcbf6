"""Every change to alerts, one topic per module: the audience, drafts, publication and relays, approval,
closing, and the standing relay rules. Each service function is one transaction.

Who may see an alert is asked of `ceptoar.sharing.policy`; who may send is asked of `accounts.access`.
"""
