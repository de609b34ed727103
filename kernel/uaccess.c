/*
 * uaccess.c: checked copies between kernel and user memory (uaccess.h).
 */
#include "kernel/uaccess.h"
#include "kernel/proc.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/arch/x86_64/paging.h"

/* The range must lie entirely in user space: checked once, before any
 * byte moves, so that a huge length fails without partial effects. */
bool access_ok(uintptr_t ua, size_t len)
{
	return ua >= USER_ADDR_MIN && ua < USER_ADDR_END && len <= USER_ADDR_END - ua;
}

static int copy_user(struct proc *p, uintptr_t ua, void *kbuf, size_t len, bool to_user)
{
	uint8_t *k = kbuf;

	if (!access_ok(ua, len))
		return -EFAULT;
	while (len) {
		size_t in_page = PAGE_SIZE - (ua & (PAGE_SIZE - 1));
		size_t n = len < in_page ? len : in_page;
		uint8_t *u = paging_user_addr(p->pml4, ua, to_user);

		if (!u)
			return -EFAULT;
		if (to_user)
			memcpy(u, k, n);
		else
			memcpy(k, u, n);
		ua += n;
		k += n;
		len -= n;
	}
	return 0;
}

int copy_from_user(struct proc *p, void *dst, uintptr_t usrc, size_t len)
{
	return copy_user(p, usrc, dst, len, false);
}

int copy_to_user(struct proc *p, uintptr_t udst, const void *src, size_t len)
{
	return copy_user(p, udst, (void *)src, len, true);
}

long strncpy_from_user(struct proc *p, char *dst, uintptr_t usrc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *u;

		if (!access_ok(usrc + i, 1))
			return -EFAULT;
		u = paging_user_addr(p->pml4, usrc + i, false);
		if (!u)
			return -EFAULT;
		dst[i] = *u;
		if (!*u)
			return (long)i;
	}
	return -EINVAL;
}
