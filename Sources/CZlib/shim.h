#ifndef NETBOOT_CZLIB_SHIM_H
#define NETBOOT_CZLIB_SHIM_H
#include <zlib.h>
#endif
