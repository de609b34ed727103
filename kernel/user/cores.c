/* cores: each core's cur_proc and owning_proc (0: none) and cur_kthread. */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	struct ucore_info info;
	int n = ncores();

	(void)argc;
	(void)argv;
	printf("CORE CUR_PROC OWNING_PROC KTHREAD\n");
	for (int i = 0; i < n; i++) {
		if (coreinfo(i, &info) < 0)
			continue;
		printf("%4d %8d %11d %7d\n", info.core, info.cur_pid, info.owning_pid, info.kthread);
	}
	return 0;
}
