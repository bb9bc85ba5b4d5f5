"""Digital signatures: a development PKI (``motcua pki init``) and PAdES signing of documents.

``store`` keeps the CA, the agencies' seal certificates and the leaders' certificates on disk
with encrypted keys; ``signing`` applies the signatures with pyHanko; ``signers`` gives the
document renderers a signer, or none while the PKI is not initialised.
"""
