"""keywarden: remediate stale IAM access keys flagged by AWS Config, and tell their owners."""

__version__ = "0.1.0"
