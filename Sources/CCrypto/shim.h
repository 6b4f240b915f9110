#ifndef NETBOOT_CCRYPTO_SHIM_H
#define NETBOOT_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
