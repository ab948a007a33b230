"""keywarden's AWS CDK app: a thin stack composing one construct per concern (see stack.py)."""
