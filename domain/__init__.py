"""keywarden's domain core: the vocabulary, the decisions and the table layouts, pure and typed.

Everything here is a plain function or a pydantic model: it calls no AWS API, imports no AWS SDK
and no other package of keywarden. The Lambda functions (lambdas/), the notification channels
(notifications/), the deployment (deployment/, infra/) and the tool (keywarden/) build on it;
the import contracts in pyproject.toml keep it that way.
"""
