#ifndef NETBOOT_CLZMA_SHIM_H
#define NETBOOT_CLZMA_SHIM_H
#include <lzma.h>
#endif
