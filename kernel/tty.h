/*
 * tty.h: the serial console as a terminal for user programs.
 *
 * The boot CPU's timer tick polls COM1. Ctrl-C (0x03) is not input: it
 * sends SIGINT to the foreground process (set by the shell with
 * sys_set_fg), from the kernel, as a terminal driver would. Every other
 * byte goes to a small input buffer that sys_read drains.
 */
#ifndef KERNEL_TTY_H
#define KERNEL_TTY_H

/* From the boot CPU's timer tick, interrupts off. */
void tty_poll(void);

/* From a timer tick that found process pid running outside the kernel (in
 * user space or in its guest): the scripted ctrl-c counts these. */
void tty_program_tick(int pid);

#endif
