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

/// Starts writeback of a written range without waiting (`wait`: 0), or waits until the range
/// is on disk after starting it (`wait`: 1); 0 or -1 with errno set. Streaming writes call it
/// so that the disk works while the next data is decoded, instead of all at the final fsync.
extern int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags);
static inline int netboot_write_back(int fd, int64_t offset, int64_t length, int wait) {
    unsigned int flags = wait ? (1u | 2u | 4u) : 2u;  // SYNC_FILE_RANGE_WAIT_BEFORE | _WRITE | _WAIT_AFTER
    return sync_file_range(fd, offset, length, flags);
}

/// glibc 2.29+: the child changes directory before exec.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
#endif
