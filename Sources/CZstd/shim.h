#ifndef NETBOOT_CZSTD_SHIM_H
#define NETBOOT_CZSTD_SHIM_H
#include <zstd.h>
#endif
