/* fault_test.h: deliberate kernel faults chosen on the command line
 * (fault=ud2|gp|pf|null|df), so tests can check the panic report end to end. */
#ifndef KERNEL_FAULT_TEST_H
#define KERNEL_FAULT_TEST_H

/* If the command line holds fault=..., provoke that fault (does not return
 * then: the trap report panics). Otherwise return at once. */
void fault_test_run(void);

#endif
