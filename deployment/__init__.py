"""What keywarden deploys, named and configured once for the CDK stack and the local sandbox.

The settings (cdk.json's context), the physical names, the functions with their environments
and the workflow's substitutions: infra/ builds CloudFormation from them, keywarden/sandbox/
builds the same resources in moto. Neither writes its own.
"""
