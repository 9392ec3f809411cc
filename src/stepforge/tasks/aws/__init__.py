"""AWS services reached through boto3 at the configured endpoint, shaped as Step Functions shows them.

:mod:`clients` makes the boto3 clients (no client-side parameter validation: the service answers),
:mod:`errors` names service errors as the optimized integrations (Java SDK v1) and ``aws-sdk:*``
tasks (Java SDK v2) do, :mod:`metadata` adds ``SdkHttpMetadata``/``SdkResponseMetadata``, and
:mod:`lambda_api` invokes Lambda functions that are not registered here.
"""
