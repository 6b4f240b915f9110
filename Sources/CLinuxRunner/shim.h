#ifndef NETBOOT_CLINUXRUNNER_SHIM_H
#define NETBOOT_CLINUXRUNNER_SHIM_H
// Linux calls the runner's drivers need that Swift cannot reach directly: variadic ioctls,
// and a glibc spawn extension the Glibc module does not declare.
#include <stddef.h>
#include <stdint.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

/// The device's size in bytes, or -1 with errno set.
static inline int64_t netboot_block_device_size(int fd) {
    uint64_t size = 0;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) return -1;
    return (int64_t)size;
}

/// Asks the kernel to re-read the partition table; 0 or -1 with errno set.
static inline int netboot_reread_partitions(int fd) {
    return ioctl(fd, BLKRRPART);
}

/// glibc 2.29+: the child changes directory before exec.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
#endif
