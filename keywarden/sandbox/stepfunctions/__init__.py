"""Step Functions: moto's interpreter corrected to AWS's rules, and made fast."""
