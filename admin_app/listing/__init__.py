"""The list path: one `ListQuery` from the query string, its filters, the exports."""
