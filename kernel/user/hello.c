/* hello: prints its pid and arguments, exits with the number of arguments. */
#include "kernel/user/lib/ulib.h"

int main(int argc, char **argv)
{
	printf("hello: pid %d, %d args:", getpid(), argc - 1);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return argc - 1;
}
