"""The bottom layer: tools every area uses (bulk SQL, CSV and XLSX exports, outbound address checks,
pagination, downloads, prepared statements, reconnecting, the worker's periodic jobs). Nothing here imports
an area, the site shell or the project's settings module."""
