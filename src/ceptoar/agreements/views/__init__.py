"""The agreements pages: the list and detail (`register`), a party's actions (`actions`), the proposal
(`propose`) and the dry run (`dry_run`)."""
