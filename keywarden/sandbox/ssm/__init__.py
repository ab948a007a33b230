"""SSM Automation: the runbook, its executions and the account's concurrency quota."""
