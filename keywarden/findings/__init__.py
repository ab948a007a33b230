"""`keywarden findings`, `remediate` and `sweep`: the findings table read with Query only, and the
workflows started on demand. Like `keywarden audit`, no moto here: plain boto3 against AWS or a sandbox.
"""
