/*
 * badsys: system calls with bad arguments (NULL, kernel addresses,
 * unmapped memory, huge lengths, bad numbers). Each must fail with the
 * expected -errno and the kernel must carry on. Prints one line per case
 * (BADSYS PASS/FAIL name) and exits with the number of failures.
 */
#include "kernel/user/lib/ulib.h"

#define KERNEL_PTR 0xffffffff80100000ul
#define NONCANON_PTR 0x6b6b6b6b6b6b6b6bul
#define UNMAPPED_PTR 0x10000000ul

static int passed, failed;

static void check(const char *name, long got, long want)
{
	if (got == want) {
		passed++;
		printf("BADSYS PASS %s\n", name);
	} else {
		failed++;
		printf("BADSYS FAIL %s: got %ld, want %ld\n", name, got, want);
	}
}

int main(int argc, char **argv)
{
	struct uproc_info info;
	char longname[64];
	int status;

	(void)argc;
	(void)argv;
	check("write_null", write(NULL, 10), -EFAULT);
	check("write_kernel", write((void *)KERNEL_PTR, 10), -EFAULT);
	check("write_noncanonical", write((void *)NONCANON_PTR, 10), -EFAULT);
	check("write_unmapped", write((void *)UNMAPPED_PTR, 10), -EFAULT);
	check("write_huge_len", write("x", 1ul << 62), -EINVAL);
	check("write_wraps", write("x", ~0ul), -EINVAL);
	check("spawn_null", spawn(NULL, NULL), -EFAULT);
	check("spawn_kernel", spawn((const char *)KERNEL_PTR, NULL), -EFAULT);
	check("spawn_bad_args", spawn("hello", (const char *)UNMAPPED_PTR), -EFAULT);
	check("spawn_no_image", spawn("no-such-program", NULL), -ENOENT);
	memset(longname, 'a', sizeof(longname));
	check("spawn_unterminated", spawn(longname, NULL), -EINVAL);
	check("waitpid_kernel_status", waitpid(-1, (int *)KERNEL_PTR), -EFAULT);
	check("waitpid_no_child", waitpid(12345, &status), -ECHILD);
	check("waitpid_zero", waitpid(0, NULL), -EINVAL);
	check("kill_no_proc", kill(99999, SIGTERM), -ESRCH);
	check("kill_bad_signal", kill(getpid(), 77), -EINVAL);
	check("sigaction_sigkill", syscall6(SYS_sigaction, SIGKILL, 0x400000, 0x400000, 0, 0, 0), -EINVAL);
	check("sigreturn_not_in_handler", syscall6(SYS_sigreturn, UNMAPPED_PTR, 0, 0, 0, 0, 0), -EINVAL);
	check("procinfo_bad_slot", procinfo(100000, &info), -EINVAL);
	check("procinfo_kernel_buf", procinfo(0, (struct uproc_info *)KERNEL_PTR), -EFAULT);
	check("coreinfo_bad_core", coreinfo(1000, NULL), -EINVAL);
	check("sleep_huge", sleep_ticks(1ul << 40), -EINVAL);
	check("proc_destroy_no_proc", proc_destroy(99999, 0), -ESRCH);
	check("read_kernel_buf_len0", read((void *)KERNEL_PTR, 0), 0);
	check("no_such_syscall", syscall6(9999, 0, 0, 0, 0, 0, 0), -ENOSYS);
	check("negative_syscall", syscall6(-1, 0, 0, 0, 0, 0, 0), -ENOSYS);
	/* Still alive, and the kernel still works: a child runs and is reaped. */
	int pid = spawn("hello", "after-bad-syscalls");
	check("spawn_after", pid > 0, 1);
	check("reap_after", waitpid(pid, &status), pid);
	printf("BADSYS DONE %d passed, %d failed\n", passed, failed);
	return failed;
}
