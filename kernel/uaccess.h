/*
 * uaccess.h: reading and writing user memory from a syscall.
 *
 * Every user pointer goes through these. They translate through the
 * process's own page tables (paging_user_addr), page by page, and never
 * dereference a user address directly: a NULL, kernel, unmapped or
 * read-only pointer, or a length that runs off the end of user space, is
 * -EFAULT, never a kernel page fault.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct proc;

/* Does [ua, ua+len) lie inside user space (no wrap)? Says nothing of
 * whether it is mapped. */
bool access_ok(uintptr_t ua, size_t len);

int copy_from_user(struct proc *p, void *dst, uintptr_t usrc, size_t len);
int copy_to_user(struct proc *p, uintptr_t udst, const void *src, size_t len);
/* Copy a NUL-terminated string of at most n-1 bytes. Returns its length,
 * -EFAULT, or -EINVAL if no NUL within n bytes. */
long strncpy_from_user(struct proc *p, char *dst, uintptr_t usrc, size_t n);

#endif
