"""The monthly and quarterly report of an office or a region: figures, pages, XLSX and API."""
