/*
 * A fake NVML (libnvidia-ml.so) for the loader's tests, built by them with
 * `cc -shared -fPIC`. Two devices:
 *
 *   nvidia0 "Fake GPU 0": 8 GiB, 1 GiB used, 37 % busy, 65 °C, idle
 *           (reason 0x1: not throttling); processes: this process
 *           (256 MiB), PID 1 (1 GiB), PID 999999999 (512 MiB).
 *   nvidia1 "Fake GPU 1": 16 GiB, 2 GiB used, 100 % busy, 70 °C, HW
 *           thermal slowdown (reason 0x40: throttling); 100 processes,
 *           more than the reader's first buffer holds, this process among
 *           them (128 MiB).
 *
 * Variants, by macro:
 *   LOST       nvidia1's memory and utilization calls return
 *              NVML_ERROR_GPU_IS_LOST.
 *   HANG_FD=n  nvmlDeviceGetMemoryInfo first blocks reading fd n (a pipe the
 *              test closes to let it return).
 *   NO_COUNT   nvmlDeviceGetCount_v2 is missing.
 *   V1_ONLY    only the original nvmlDeviceGetComputeRunningProcesses
 *              (16-byte nvmlProcessInfo_v1_t), and the old name
 *              nvmlDeviceGetCurrentClocksThrottleReasons.
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

typedef void *nvmlDevice_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; } nvmlProcessInfo_v1_t;
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;

#define MIB (1024ULL * 1024ULL)
#define GIB (1024ULL * MIB)

static int inits;

int fake_inits(void) { return inits; }

static int index_of(nvmlDevice_t h) { return (int)((uintptr_t)h - 0x1000); }

int nvmlInit_v2(void) { inits++; return 0; }
int nvmlShutdown(void) { inits--; return 0; }

#ifndef NO_COUNT
int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 2; return 0; }
#endif

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *h) {
	if (i >= 2) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
	*h = (nvmlDevice_t)(uintptr_t)(0x1000 + i);
	return 0;
}

int nvmlDeviceGetName(nvmlDevice_t h, char *name, unsigned int len) {
	snprintf(name, len, "Fake GPU %d", index_of(h));
	return 0;
}

int nvmlDeviceGetMemoryInfo(nvmlDevice_t h, nvmlMemory_t *m) {
#ifdef HANG_FD
	char c;
	(void)read(HANG_FD, &c, 1);
#endif
#ifdef LOST
	if (index_of(h) == 1) return 15; /* NVML_ERROR_GPU_IS_LOST */
#endif
	m->total = index_of(h) == 0 ? 8 * GIB : 16 * GIB;
	m->used = index_of(h) == 0 ? 1 * GIB : 2 * GIB;
	m->free = m->total - m->used;
	return 0;
}

int nvmlDeviceGetUtilizationRates(nvmlDevice_t h, nvmlUtilization_t *u) {
#ifdef LOST
	if (index_of(h) == 1) return 15;
#endif
	u->gpu = index_of(h) == 0 ? 37 : 100;
	u->memory = 10;
	return 0;
}

int nvmlDeviceGetTemperature(nvmlDevice_t h, int sensor, unsigned int *t) {
	if (sensor != 0) return 2;
	*t = index_of(h) == 0 ? 65 : 70;
	return 0;
}

static int reasons(nvmlDevice_t h, unsigned long long *r) {
	*r = index_of(h) == 0 ? 0x1 : 0x40;
	return 0;
}

#ifdef V1_ONLY
int nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t h, unsigned long long *r) { return reasons(h, r); }
#else
int nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t h, unsigned long long *r) { return reasons(h, r); }
#endif

/* proc fills entry i of device h's process list. */
static void proc(nvmlDevice_t h, unsigned int i, unsigned int *pid, unsigned long long *mem) {
	if (index_of(h) == 0) {
		static const unsigned long long mems[] = {256 * MIB, 1 * GIB, 512 * MIB};
		*pid = i == 0 ? (unsigned int)getpid() : i == 1 ? 1 : 999999999;
		*mem = mems[i];
		return;
	}
	*pid = i == 50 ? (unsigned int)getpid() : 2000000000u + i;
	*mem = i == 50 ? 128 * MIB : 64 * MIB;
}

static unsigned int nprocs(nvmlDevice_t h) { return index_of(h) == 0 ? 3 : 100; }

#ifdef V1_ONLY
int nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t h, unsigned int *count, nvmlProcessInfo_v1_t *infos) {
#else
int nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t h, unsigned int *count, nvmlProcessInfo_t *infos) {
#endif
	unsigned int n = nprocs(h);
	if (*count < n) {
		*count = n;
		return 7; /* NVML_ERROR_INSUFFICIENT_SIZE */
	}
	for (unsigned int i = 0; i < n; i++) {
		proc(h, i, &infos[i].pid, &infos[i].usedGpuMemory);
	}
	*count = n;
	return 0;
}
