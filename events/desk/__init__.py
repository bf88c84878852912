"""The editor's desk: a document's text, its claimed passages highlighted, and one form that turns
a selected passage into an excerpt, a claim and what the claim states.

- views: the admin page and its JSON endpoints (desk_urls), the claim page's quotes in context;
- drafting: the names a passage holds and the rows it seems to state, for the editor to check;
- service: write_claim, which resolves the whole form (names, numbers as written) and writes the
  claim with its rows through events.claims, in one transaction (or nothing).
"""
