"""Developer tools: Step Functions Local's mocked cases and their payloads."""
