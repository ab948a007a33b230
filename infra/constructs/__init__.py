"""One construct per concern; the stack (infra/stack.py) wires them together."""
