/* What trust.c and client.c share inside the tls module. */
#ifndef CHALLENGED_TLS_PRIVATE_H
#define CHALLENGED_TLS_PRIVATE_H

#include "challenged/tls.h"

/*
 * anchors[i].dn.data starts one allocation per anchor that also holds the
 * key's bytes (RSA n and e, or the EC point), so freeing dn.data frees both.
 */
struct tls_trust {
	br_x509_trust_anchor *anchors;
	size_t count;
	size_t cap;
};

#endif
