"""Forms of the alert pages, one module per page group. They carry what the person typed; `services` decides
what is valid, and `utilities.refusals.show_refusal` puts its reasons next to the field they concern."""
