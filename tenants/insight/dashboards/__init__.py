"""Staff dashboards at /insight/ (issue 5): overview, breakdowns down the unit tree, coverage.

selectors.py reads the rollups only (`overview`, `breakdown`, `coverage`, `figures_as_of`); panels.py turns
their results into a data table plus chart data per chart; tables.py renders any table as CSV or XLSX
(`table_download`, reusable); views.py is thin; charts.js draws the charts with the vendored ECharts from
JSON embedded with json_script.
"""
