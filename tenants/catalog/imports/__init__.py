"""One import/export framework for the catalogue, units and staff: CSV/XLSX files, row-level checking, an error
file, set-based writes in chunks, and jobs with progress run by Celery or the command line."""
