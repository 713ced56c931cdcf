"""The web dashboard: one page served by the API app at ``/`` that calls ``/api/v1`` with the
user's token (kept in the browser's session storage). Plotly.js is served from the installed
plotly package (pinned by the project's dependency; no CDN: the machines are offline)."""
