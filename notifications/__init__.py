"""Messages to key owners and operators, rendered from evaluation results."""
