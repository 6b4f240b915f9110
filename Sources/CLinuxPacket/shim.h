#ifndef NETBOOT_CLINUXPACKET_SHIM_H
#define NETBOOT_CLINUXPACKET_SHIM_H
// Linux AF_PACKET (packet(7)): struct sockaddr_ll and the Ethernet protocol numbers,
// which Swift's Glibc module does not export.
#include <sys/socket.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#endif
