"""The Python Key Vault SDKs against the local vault (run by test/keyvault/python.test.ts).

Reads its configuration as JSON on stdin (the client certificates' PEM, key included, never on the
command line), creates a certificate as the officer, signs a digest as the signer, reads the certificate (latest
and its version) and its key (as the signer), deletes it (both gets then answer 404), purges it, and prints what it saw as JSON. The CA reaches the SDKs as azure-core's `connection_verify`
(a file), the challenge's resource check is off because the vault's host is localhost.
"""
import base64
import json
import sys

from azure.core.exceptions import ResourceNotFoundError
from azure.identity import CertificateCredential
from azure.keyvault.certificates import CertificateClient, CertificatePolicy
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import CryptographyClient, SignatureAlgorithm

config = json.load(sys.stdin)
transport = {"connection_verify": config["caPath"]}


def credential(identity):
    return CertificateCredential(
        config["tenantId"],
        identity["clientId"],
        certificate_data=identity["pem"].encode(),
        authority=config["authorityHost"],
        # No instance discovery at login.microsoftonline.com: the authority is the local Entra ID.
        instance_discovery=False,
        **transport,
    )


certificates = CertificateClient(
    config["vaultUrl"], credential(config["officer"]), verify_challenge_resource=False, **transport
)
policy = CertificatePolicy(
    issuer_name="Self",
    subject="CN=python sdk",
    key_type="RSA",
    key_size=2048,
    exportable=False,
    reuse_key=False,
    validity_in_months=6,
)
certificate = certificates.begin_create_certificate(config["name"], policy).result()
crypto = CryptographyClient(
    certificate.key_id, credential(config["signer"]), verify_challenge_resource=False, **transport
)
signed = crypto.sign(SignatureAlgorithm.ps256, base64.b64decode(config["digest"]))
latest = certificates.get_certificate(config["name"])
version = certificates.get_certificate_version(config["name"], certificate.properties.version)
keys = KeyClient(config["vaultUrl"], credential(config["signer"]), verify_challenge_resource=False, **transport)
key = keys.get_key(config["name"])
deleted = certificates.begin_delete_certificate(config["name"]).result()


def not_found(get):
    """The status a get answers once the certificate is deleted: 404, or what it got instead."""
    try:
        get()
        return 200
    except ResourceNotFoundError as err:
        return err.status_code


after_delete = {
    "certificate": not_found(lambda: certificates.get_certificate(config["name"])),
    "key": not_found(lambda: keys.get_key(config["name"])),
    "deleted": certificates.get_deleted_certificate(config["name"]).name,
}
certificates.purge_deleted_certificate(config["name"])
after_purge = not_found(lambda: certificates.get_deleted_certificate(config["name"]))
print(
    json.dumps(
        {
            "keyId": certificate.key_id,
            "cer": base64.b64encode(certificate.cer).decode(),
            "signature": base64.b64encode(signed.signature).decode(),
            "latestId": latest.id,
            "versionCer": base64.b64encode(version.cer).decode(),
            "keyIdRead": key.id,
            "keyN": base64.urlsafe_b64encode(key.key.n).decode().rstrip("="),
            "afterDelete": after_delete,
            "afterPurge": after_purge,
            "recoveryId": deleted.recovery_id,
            "remaining": [c.name for c in certificates.list_deleted_certificates()],
        }
    )
)
