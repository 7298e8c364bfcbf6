"""Every change to incident reports and failure cases, one topic per module (Zulip's `zerver/actions/`).
Each service function is one transaction; reads stay in the flat modules beside this package."""
