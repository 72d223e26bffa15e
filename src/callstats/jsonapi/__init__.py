"""yeti's JSON:API conventions (jsonapi-resources with the `paged` paginator), declared
once: a resource is a table of typed attributes (`model`), each type names its filter
operators (`types`), and the query-string parser (`query`), the documents (`document`),
the create bodies (`create`), the errors (`errors`) and the OpenAPI (`openapi`) all derive
from those tables. Nothing here knows HTTP or a store."""
