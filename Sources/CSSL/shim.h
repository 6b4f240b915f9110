#ifndef NETBOOT_CSSL_SHIM_H
#define NETBOOT_CSSL_SHIM_H
// OpenSSL's TLS client for netboot-runner's bridge connection (pinned certificate).
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#endif
