"""SQL migrations of the `auth` schema, applied in order by obsai_common.db."""
