"""The registry pages, one module per page group: organisations (tree, list, detail, freshness), contacts, the map."""
