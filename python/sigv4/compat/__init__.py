"""Drop-in replacements for other Python SigV4 libraries: change only the import line.

- ``sigv4.compat.requests_aws4auth``: ``AWS4Auth``, ``StrictAWS4Auth``, ``AWS4SigningKey``
  (requests-aws4auth 1.x)
- ``sigv4.compat.requests_aws_sign``: ``AWSV4Sign`` (requests-aws-sign 0.1.6)
- ``sigv4.compat.sosw``: ``AWSSigV4RequestGenerator`` / ``AwsSigV4RequestGenerator`` (sosw)

PyPI ``sigv4`` itself needs no compatibility module: ``import sigv4`` is its API.

Each module keeps the original's documented names, arguments, defaults, return shapes and
exceptions; signing is done by the Rust core. Where an original signs wrongly, these sign
correctly: every difference is listed in the package README ("Differences").
"""
