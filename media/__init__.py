"""Photos: safe ingest (validate, strip metadata, thumbnail, hash) and the object stores that keep them."""
