"""Forms of the alert pages, one module per page group. They carry what the person typed; `services` decides
what is valid, and `audience.show_service_errors` puts its reasons next to the field they concern."""
