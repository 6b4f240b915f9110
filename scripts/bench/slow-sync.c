/* For scripts/bench/bridge: preloaded (LD_PRELOAD) into the bridge, it counts every fsync and
 * fdatasync and the time spent in them, in a shared mapping of the file SLOW_SYNC_COUNT (two
 * 64-bit counters: syncs, nanoseconds), which the benchmark reads while the bridge runs; syncs
 * per report tell the group size group commit really achieved.
 *
 * With SLOW_SYNC_US > 0 it is a SIMULATION of a device whose cache flush is slower than this
 * machine's: every sync first sleeps that many microseconds and then makes the real call, so the
 * data is just as durable and a sync takes as long as a flush on slower storage (consumer SSD
 * without power-loss protection ~1-5 ms, 7200 rpm disk ~5-15 ms). Not part of netboot; the
 * benchmark builds it with cc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static _Atomic long fallback[2];
static _Atomic long *counters = fallback;
static long delay_us;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void setup(void) {
    const char *text = getenv("SLOW_SYNC_US");
    delay_us = text ? atol(text) : 0;
    const char *path = getenv("SLOW_SYNC_COUNT");
    if (!path) return;
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    if (fd < 0) return;
    if (ftruncate(fd, 2 * sizeof(long)) == 0) {
        void *map = mmap(NULL, 2 * sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map != MAP_FAILED) counters = map;
    }
    close(fd);
}

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int timed(int (*real)(int), int fd) {
    pthread_once(&once, setup);
    long start = now_ns();
    if (delay_us > 0) {
        struct timespec t = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        while (nanosleep(&t, &t) != 0) {}
    }
    int result = real(fd);
    atomic_fetch_add(&counters[0], 1);
    atomic_fetch_add(&counters[1], now_ns() - start);
    return result;
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return timed(real, fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return timed(real, fd);
}
