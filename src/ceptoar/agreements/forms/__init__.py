"""The agreements pages' forms: the list's filters and the dry run (`lookups`), a party's action (`actions`), and
the proposal with its directions (`propose`)."""
