"""RS256 tokens for the auth tests: an RSA key made per test run, its JWKS
file (what AUTH_JWKS_FILE names) and JWTs shaped like AGS access tokens.
Uses Debian's python3-cryptography; nothing leaves the machine."""

import base64
import json
import os
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class Issuer:
    """One signing key with its kid, as IAM's JWKS would publish it."""

    def __init__(self, kid="test-kid-1", bits=2048):
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=bits)

    def jwk(self):
        pub = self.key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                "n": b64url(_int_bytes(pub.n)), "e": b64url(_int_bytes(pub.e))}

    def token(self, sub="user-1", *, kid=None, exp_in=3600, iat_offset=0,
              header=None, claims=None, drop=()):
        """A signed JWT. kid overrides the header's kid (None keeps ours);
        header adds or replaces header fields (a None value removes one);
        claims adds or replaces payload fields; drop removes them."""
        now = int(time.time())
        hdr = {"alg": "RS256", "typ": "JWT", "kid": self.kid if kid is None else kid}
        if header:
            hdr.update(header)
        hdr = {k: v for k, v in hdr.items() if v is not None}
        payload = {"sub": sub, "namespace": "accelbyte", "iat": now + iat_offset,
                   "exp": now + exp_in, "jti": b64url(os.urandom(9))}
        if claims:
            payload.update(claims)
        for k in drop:
            payload.pop(k, None)
        signing_input = (b64url(json.dumps(hdr, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(payload, separators=(",", ":")).encode()))
        sig = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(sig)


def write_jwks(path, *issuers):
    with open(path, "w") as f:
        json.dump({"keys": [i.jwk() for i in issuers]}, f)
    return path
