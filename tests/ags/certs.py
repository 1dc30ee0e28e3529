"""A throw-away PKI for the fake AGS server and the TLS tests of our
outbound client: a test CA with a good leaf, a leaf for the wrong host
name, and a leaf from a CA nobody trusts. RSA 2048 / SHA-256, valid from
one day back to 30 days ahead, made fresh per call with python3-cryptography."""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "challenged tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _window():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)


def _ca(cn):
    key = _key()
    nb, na = _window()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(nb).not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, dns, ips=()):
    key = _key()
    nb, na = _window()
    san = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder()
            .subject_name(_name(dns[0])).issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(nb).not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=True, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _write_cert(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _write_key(path, key):
    data = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_pki(dirpath):
    """Write the PKI into dirpath (created if missing) and return the paths:
    ca, server, server_key, wrong_host, wrong_host_key, rogue_ca,
    rogue_server, rogue_server_key."""
    os.makedirs(dirpath, exist_ok=True)
    p = {name: os.path.join(dirpath, fname) for name, fname in (
        ("ca", "ca.pem"), ("server", "server.pem"), ("server_key", "server-key.pem"),
        ("wrong_host", "wrong-host.pem"), ("wrong_host_key", "wrong-host-key.pem"),
        ("rogue_ca", "rogue-ca.pem"), ("rogue_server", "rogue-server.pem"),
        ("rogue_server_key", "rogue-server-key.pem"))}

    ca_key, ca_cert = _ca("challenged test CA")
    _write_cert(p["ca"], ca_cert)
    key, cert = _leaf(ca_key, ca_cert, ["localhost", "ags.test"], ["127.0.0.1"])
    _write_cert(p["server"], cert)
    _write_key(p["server_key"], key)
    key, cert = _leaf(ca_key, ca_cert, ["other.example"])
    _write_cert(p["wrong_host"], cert)
    _write_key(p["wrong_host_key"], key)

    # Same subject name as the trusted CA on purpose: only the key differs,
    # so a client that matched issuers by name alone would be caught.
    rogue_key, rogue_cert = _ca("challenged test CA")
    _write_cert(p["rogue_ca"], rogue_cert)
    key, cert = _leaf(rogue_key, rogue_cert, ["localhost", "ags.test"], ["127.0.0.1"])
    _write_cert(p["rogue_server"], cert)
    _write_key(p["rogue_server_key"], key)
    return p


if __name__ == "__main__":
    import json
    import sys
    print(json.dumps(make_pki(sys.argv[1] if len(sys.argv) > 1 else "pki")))
