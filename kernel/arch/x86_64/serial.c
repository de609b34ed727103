/*
 * serial.c: COM1 as the kernel console, output and (for the shell) input.
 *
 * 115200 baud 8N1, FIFOs on, no interrupts: output polls the line-status
 * register and input is read on demand, so the console works before the
 * IDT exists and from the panic path with interrupts off.
 */
#include "kernel/arch/x86_64/serial.h"
#include "kernel/arch/x86_64/arch.h"

#define COM1 0x3f8

/* Register offsets from the base port. */
#define UART_DATA 0         /* RBR/THR; divisor low when DLAB=1 */
#define UART_IER  1         /* interrupt enable; divisor high when DLAB=1 */
#define UART_FCR  2         /* FIFO control */
#define UART_LCR  3         /* line control */
#define UART_MCR  4         /* modem control */
#define UART_LSR  5         /* line status */

#define LCR_8N1  0x03
#define LCR_DLAB 0x80
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define LSR_TX_IDLE    0x40   /* THR and shift register both empty */

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);            /* polled: no UART interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DATA, 1);              /* divisor 1: 115200 baud */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0xc7);            /* enable + clear FIFOs, 14-byte threshold */
	outb(COM1 + UART_MCR, 0x03);            /* DTR | RTS */
}

void serial_putc(char c)
{
	/* Bounded wait: a missing UART (LSR reads 0xff, "empty") or a stuck one
	 * must not hang the kernel forever, just lose output. */
	for (int i = 0; i < 100000; i++) {
		if (inb(COM1 + UART_LSR) & LSR_THR_EMPTY)
			break;
		cpu_pause();
	}
	outb(COM1 + UART_DATA, (uint8_t)c);
}

void serial_flush(void)
{
	for (int i = 0; i < 100000; i++) {
		if (inb(COM1 + UART_LSR) & LSR_TX_IDLE)
			return;
		cpu_pause();
	}
}

int serial_getc(void)
{
	uint8_t lsr = inb(COM1 + UART_LSR);
	/* 0xff: no UART decodes the port. */
	if (lsr == 0xff || !(lsr & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}
