"""`keywarden audit`: answer auditors from the audit table, with Query only (never Scan).

periods (--since/--until), criteria -> queries (which index, which partitions), the AWS
connection and its errors, and the renderings (table, JSON, CSV). No moto here: the audit
commands work with a plain `pip install keywarden` against real AWS.
"""
