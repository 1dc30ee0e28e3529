#!/usr/bin/env bash
# Regenerates the TLS unit-test fixtures in this directory with the openssl
# CLI. Certificates are valid for 100 years so the committed files keep
# working; rerun only to change them. The CA keys live in a temporary
# directory and are thrown away: nothing can sign new certificates for the
# committed CAs afterwards, which is fine for tests.
#
#   trust.pem       the trust file: an RSA CA and an EC (P-256) CA
#   server-rsa.pem  chain for "localhost" (RSA 2048), signed by the RSA CA
#   server-rsa.key  its private key (PKCS#8); also the "no certificate" file
#   server-ec.pem   chain for "localhost" (P-256), signed by the EC CA
#   server-ec.key   its private key (PKCS#8)
#   untrusted.pem   chain for "localhost" with the server-rsa key, signed by
#                   a third CA that trust.pem does not hold
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=36500

leaf_ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid"

# make_ca NAME KEYALG-ARGS... : self-signed CA certificate NAME.pem.
make_ca() {
	local name=$1
	shift
	openssl genpkey "$@" -out "$tmp/$name.key" 2>/dev/null
	openssl req -new -x509 -key "$tmp/$name.key" -days "$days" -sha256 \
		-subj "/O=challenged tests/CN=$name" -set_serial 1 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$tmp/$name.pem"
}

# make_leaf OUT KEY CA SERIAL: certificate for localhost, then its chain
# (leaf first, issuing CA after) into OUT.
make_leaf() {
	local outpem=$1 key=$2 ca=$3 serial=$4
	printf '%s\n' "$leaf_ext" >"$tmp/leaf.ext"
	openssl req -new -key "$key" -subj "/O=challenged tests/CN=localhost" \
		-out "$tmp/leaf.csr"
	openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/$ca.pem" \
		-CAkey "$tmp/$ca.key" -set_serial "$serial" -days "$days" \
		-sha256 -extfile "$tmp/leaf.ext" -out "$tmp/leaf.pem" 2>/dev/null
	cat "$tmp/leaf.pem" "$tmp/$ca.pem" >"$outpem"
}

make_ca "challenged test RSA CA" -algorithm RSA -pkeyopt rsa_keygen_bits:2048
make_ca "challenged test EC CA" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
make_ca "challenged untrusted CA" -algorithm RSA -pkeyopt rsa_keygen_bits:2048

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$out/server-rsa.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$out/server-ec.key" 2>/dev/null

cat "$tmp/challenged test RSA CA.pem" "$tmp/challenged test EC CA.pem" \
	>"$out/trust.pem"
make_leaf "$out/server-rsa.pem" "$out/server-rsa.key" "challenged test RSA CA" 2
make_leaf "$out/server-ec.pem" "$out/server-ec.key" "challenged test EC CA" 3
make_leaf "$out/untrusted.pem" "$out/server-rsa.key" "challenged untrusted CA" 4
# Test keys, not secrets: readable by whoever runs the tests.
chmod 644 "$out/server-rsa.key" "$out/server-ec.key"
