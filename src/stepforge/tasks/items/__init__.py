"""Distributed Map items: where they are read from (S3 or local directory buckets), how they are
read (JSON, JSONL, CSV, PARQUET, MANIFEST, listObjectsV2), batched, and how results are written."""
