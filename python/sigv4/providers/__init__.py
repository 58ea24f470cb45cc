"""PyPI ``sigv4``'s per-source credential providers, one module per source:

- ``sigv4.providers.env.try_load_from_env``
- ``sigv4.providers.config_file.try_load_from_config_file``
- ``sigv4.providers.container.try_load_from_container``
- ``sigv4.providers.imds.try_load_from_imds``
- ``sigv4.providers.web_identity.WebIdentityProvider``

Each returns ``Credentials``, or ``None`` when its source is not set up here, as the
original's do, so they compose into ``resolve_credentials([...])``. Every one runs the same
Rust provider as the default chain (``sigv4.CREDENTIAL_CHAIN``); only the answers are the
original's.
"""

__all__ = ["config_file", "container", "env", "imds", "web_identity"]
