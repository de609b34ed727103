/*
 * errno.h: error numbers returned (negated) by system calls. Shared with
 * user programs (kernel/user/), so plain #defines only. Linux's values.
 */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define EPERM    1
#define ENOENT   2   /* no such program image */
#define ESRCH    3   /* no such process */
#define EINTR    4   /* a wait gave up: a signal, or the caller is dying */
#define E2BIG    7   /* argument string too long */
#define ENOEXEC  8   /* not a valid ELF image */
#define ECHILD  10   /* waitpid: no such child */
#define EAGAIN  11   /* out of process slots */
#define ENOMEM  12
#define EFAULT  14   /* a user pointer that is not a mapped user address */
#define EINVAL  22
#define ENOSYS  38   /* no such system call */

#endif
