"""Messages to key owners: the wording every channel shares, each channel's renderer, and the
channel registry (notifications/channels/) that the forwarder, CDK and the sandbox read."""
