"""HTTP layer: parse the request, call a service, commit, render. No rules live here."""
