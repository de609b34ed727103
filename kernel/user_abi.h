/*
 * user_abi.h: structures system calls copy out to user programs. Shared by
 * the kernel and kernel/user/, so only fixed-size types.
 */
#ifndef KERNEL_USER_ABI_H
#define KERNEL_USER_ABI_H

#include <stdint.h>

#define UPROC_NAME_LEN 16

/* sys_waitpid flag: return 0 at once if no child has exited. */
#define WNOHANG 1

/* sys_procinfo: one process slot (ps). */
struct uproc_info {
	int32_t pid, ppid;
	int32_t state;              /* enum proc_state (kernel/proc.h) */
	int32_t core;               /* running on, or -1 */
	int64_t refcnt;
	char name[UPROC_NAME_LEN];
	char state_name[16];
	uint64_t user_ticks;        /* its user time, in timer ticks */
	uint64_t blocked_calls;     /* its system calls that blocked */
};

/* sys_coreinfo: one core (cores). */
struct ucore_info {
	int32_t core;
	int32_t cur_pid;            /* 0: none */
	int32_t owning_pid;         /* 0: none */
	int32_t kthread;            /* cur_kthread id */
	int32_t idle;
	int32_t pad;
};

#endif
