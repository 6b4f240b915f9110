#ifndef NETBOOT_CLINUXEVENTS_SHIM_H
#define NETBOOT_CLINUXEVENTS_SHIM_H
// What the TFTP transfer loops and ProcessPriority use that Swift's Glibc module does not
// export: epoll(7), eventfd(2), preadv2(2) with RWF_NOWAIT, fstatfs(2)'s file system magic, the
// UDP_SEGMENT (GSO) socket option, sched_getaffinity(2), a thread's nice value and its ID.
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

// preadv2 is declared by glibc only under _GNU_SOURCE; its ABI is stable since 2.26.
extern ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags);
// So is sched_getaffinity (glibc 2.3.4).
extern int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask);

/// A non-blocking, close-on-exec UDP socket of `family`. In C because Swift cannot always see
/// glibc's `SOCK_*` flags once this module has included <sys/socket.h> (a clean build of
/// NetbootServer failed with "cannot find 'SOCK_DGRAM' in scope").
static inline int netboot_udp_socket(int family) {
    return socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/// RWF_NOWAIT (linux/fs.h): fail with EAGAIN rather than wait for the disk.
static const int netboot_rwf_nowait = 0x00000008;
/// SOL_UDP and UDP_SEGMENT (linux/udp.h, Linux 4.18).
static const int netboot_sol_udp = 17;
static const int netboot_udp_segment = 103;

/// Fills one control message carrying UDP_SEGMENT = `size` into `control` (which must hold
/// CMSG_SPACE(sizeof(uint16_t)) bytes) and returns the length to put in msg_controllen.
static inline size_t netboot_udp_segment_cmsg(void *control, size_t capacity, uint16_t size) {
    if (capacity < CMSG_SPACE(sizeof(uint16_t))) return 0;
    struct msghdr msg = {0};
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = netboot_sol_udp;
    cm->cmsg_type = netboot_udp_segment;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    *(uint16_t *)CMSG_DATA(cm) = size;
    return CMSG_SPACE(sizeof(uint16_t));
}

/// 1 when `fd` is a file on a memory file system (tmpfs, ramfs: statfs(2) magic numbers), where
/// a read never waits for a disk, and which refuses RWF_NOWAIT with EOPNOTSUPP.
static inline int netboot_is_memory_backed(int fd) {
    struct statfs s;
    if (fstatfs(fd, &s) != 0) return 0;
    return s.f_type == 0x01021994 /* TMPFS_MAGIC */ || s.f_type == (typeof(s.f_type))0x858458f6 /* RAMFS_MAGIC */;
}

/// The CPUs this process may run on (sched_getaffinity(2): `taskset`, a cpuset), or 0 when
/// unknown.
static inline int netboot_affinity_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    int count = 0;
    const unsigned char *bytes = (const unsigned char *)&set;
    for (size_t i = 0; i < sizeof set; i++) count += __builtin_popcount(bytes[i]);
    return count;
}

/// Sets the nice value of one thread of this process (setpriority(2) on its thread ID: on
/// Linux the nice value is per thread, and a new thread inherits its creator's). 0 or -1 with
/// errno (EACCES without CAP_SYS_NICE to lower it).
static inline int netboot_set_task_nice(pid_t tid, int nice) {
    return setpriority(PRIO_PROCESS, (id_t)tid, nice);
}

/// The calling thread's nice value (getpriority(2) on Linux answers for the calling thread).
static inline int netboot_current_nice(void) {
    return getpriority(PRIO_PROCESS, 0);
}

/// Puts the calling thread in SCHED_RR at `priority` (1–99), or back in SCHED_OTHER with 0
/// (sched_setscheduler(2) with pid 0 acts on the calling thread on Linux). SCHED_RESET_ON_FORK:
/// a child it forks starts in the normal class. 0 or -1 with errno (EPERM without
/// CAP_SYS_NICE or an RLIMIT_RTPRIO that allows it).
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000  /* linux/sched.h; glibc's sched.h shows it only with _GNU_SOURCE */
#endif
static inline int netboot_set_thread_realtime(int priority) {
    struct sched_param param = { .sched_priority = priority > 0 ? priority : 0 };
    return sched_setscheduler(0, (priority > 0 ? SCHED_RR : SCHED_OTHER) | SCHED_RESET_ON_FORK, &param);
}

/// The calling thread's ID (gettid(2)), as /proc/self/task and setpriority(2) know it.
static inline pid_t netboot_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
}

/// Names the calling thread (as `top -H` and /proc/PID/task/*/comm show it).
static inline int netboot_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, name, 0, 0, 0);
}
#endif
