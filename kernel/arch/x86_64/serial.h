/* serial.h: the COM1 console (16550 UART at I/O port 0x3f8). */
#ifndef KERNEL_ARCH_X86_64_SERIAL_H
#define KERNEL_ARCH_X86_64_SERIAL_H

void serial_init(void);
/* Blocking write of one byte (waits for the transmit register). */
void serial_putc(char c);
/* Wait until every byte written has left the UART (transmitter empty), so
 * an emulator that stops right after still has the whole output. */
void serial_flush(void);
/* Nonblocking read: the next received byte, or -1 when none is waiting. */
int serial_getc(void);

#endif
