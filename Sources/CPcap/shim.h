#ifndef NETBOOT_CPCAP_SHIM_H
#define NETBOOT_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
