"""AWS Config: the recorder, its inventory of IAM users, the rule's evaluations and events."""
