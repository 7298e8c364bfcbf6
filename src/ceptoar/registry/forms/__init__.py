"""The registry pages' forms, one module per page group: the organisation and freshness filters, the contact form."""
