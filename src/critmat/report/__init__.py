"""Reports: self-contained HTML pages with Plotly charts."""
