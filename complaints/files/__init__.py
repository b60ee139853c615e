"""Ticket attachments (evidence photos and scanned PDFs).

`content` checks and cleans what was uploaded (type from the bytes, metadata stripped);
`storage` keeps the bytes on local disk or in an S3-compatible bucket.
"""
