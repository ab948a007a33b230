"""The other AWS services' behaviours moto lacks or loosens: delivery, rate limits, retries, speed."""
