"""The customer portal (SPEC 10): static HTML, CSS and plain ES modules shipped in this
package and served by the API's own process, over the customer API with the session
cookie. Nothing here reads the store: every number on a page comes from a public API
response, so the portal can never show what the API would refuse."""
