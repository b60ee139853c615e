"""Items handled per office and month (the grid, CSV import and export, the API's figures)."""
