#!/bin/sh
# SPDX-License-Identifier: ISC
#
# tests/data/make_certs.sh OUTDIR - TLS certificates for the SMTP tests
#
# Makes in OUTDIR, with the openssl command, EC P-256 keys and:
#
#   ca.crt, ca.key                   a test CA (the trust anchor to give
#                                    the client)
#   localhost.crt, localhost.key     signed by the CA for localhost:
#                                    subjectAltName DNS:localhost,
#                                    IP:127.0.0.1, IP:::1; valid 10 years
#   wrong-host.crt, wrong-host.key   signed by the CA, valid, but for
#                                    DNS:wrong.example only
#   expired.crt, expired.key         signed by the CA for localhost (same
#                                    names), valid from 2020-01-01 to
#                                    2020-01-02 only
#   self-signed.crt, self-signed.key for localhost (same names), signed by
#                                    its own key, not by the CA
#
# Idempotent: when every file is already there it changes nothing;
# otherwise it makes the whole set again (the leaf certificates must match
# the CA). Prints nothing on success.

set -eu

[ $# -eq 1 ] || {
	echo "usage: $0 OUTDIR" >&2
	exit 64
}
out=$1
names="ca localhost wrong-host expired self-signed"

mkdir -p "$out"
complete=yes
for n in $names; do
	[ -s "$out/$n.crt" ] && [ -s "$out/$n.key" ] || complete=no
done
[ "$complete" = no ] || exit 0

tmp=$(cd "$out" && mktemp -d "$PWD/.make-certs-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The configuration of "openssl ca" (used for every CA-signed certificate
# because only it can set a notBefore/notAfter in the past with OpenSSL
# 3.0) and the extension sections of all certificates.
cat >"$tmp/openssl.cnf" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir = $tmp
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = \$dir/ca.crt
private_key = \$dir/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ localhost ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[ wrong_host ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[ self_signed ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
EOF
: >"$tmp/index.txt"
openssl rand -hex 8 >"$tmp/serial"
cnf="$tmp/openssl.cnf"

# key NAME: a new EC P-256 key in $tmp/NAME.key.
key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$tmp/$1.key" 2>/dev/null
}

# signed NAME CN SECTION [openssl ca date options...]: $tmp/NAME.crt for
# a new key, subject CN, extensions SECTION, signed by the CA.
signed() {
	n=$1 cn=$2 sect=$3
	shift 3
	key "$n"
	openssl req -new -config "$cnf" -key "$tmp/$n.key" -subj "/CN=$cn" \
		-out "$tmp/$n.csr"
	openssl ca -batch -notext -config "$cnf" -extfile "$cnf" \
		-extensions "$sect" -in "$tmp/$n.csr" -out "$tmp/$n.crt" \
		"$@" 2>"$tmp/ca.log" || {
		cat "$tmp/ca.log" >&2
		exit 1
	}
}

key ca
openssl req -new -x509 -config "$cnf" -extensions v3_ca -key "$tmp/ca.key" \
	-subj "/CN=Clarion Test CA" -days 3650 -out "$tmp/ca.crt"
signed localhost localhost localhost -days 3650
signed wrong-host wrong.example wrong_host -days 3650
signed expired localhost localhost \
	-startdate 20200101000000Z -enddate 20200102000000Z
key self-signed
openssl req -new -x509 -config "$cnf" -extensions self_signed \
	-key "$tmp/self-signed.key" -subj "/CN=localhost" -days 3650 \
	-out "$tmp/self-signed.crt"

for n in $names; do
	chmod 600 "$tmp/$n.key"
	chmod 644 "$tmp/$n.crt"
	mv -f "$tmp/$n.key" "$out/$n.key"
	mv -f "$tmp/$n.crt" "$out/$n.crt"
done
