/*
 * lapic.c: local APIC set-up, the periodic timer, EOI and IPIs.
 *
 * Register offsets and bit layouts: Intel SDM Vol. 3, chapter 10 (11 in
 * newer editions), "Advanced Programmable Interrupt Controller". The LAPIC
 * page (0xfee00000 on QEMU and Bochs) lies in the 3-4 GiB hole, which
 * boot.S maps uncached in the direct map, so P2V reaches it.
 *
 * Calibration: the LAPIC timer and TSC rates are measured over 10 ms of
 * PIT channel 2, polled through port 0x61. Under QEMU -icount and Bochs
 * with clock sync=none all three clocks are functions of the instruction
 * count, so the measurement, and so the tick period, is the same on every
 * run. No measured value is printed: the console must not depend on
 * timing.
 */
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/cmdline.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"

CMDLINE_OPTION("timer_hz", "LAPIC timer interrupts per second on each CPU (default 100, 0 = off)");

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0xffffff000ull

/* Register offsets. */
#define LAPIC_ID       0x020
#define LAPIC_VERSION  0x030
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0b0
#define LAPIC_SVR      0x0f0
#define LAPIC_ESR      0x280
#define LAPIC_ICR_LOW  0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_DELIVERY_NMI (4u << 8)
#define TIMER_DIV_16 0x3

/* ICR fields. */
#define ICR_FIXED   (0u << 8)
#define ICR_NMI     (4u << 8)
#define ICR_INIT    (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_ASSERT  (1u << 14)

/* 8259 PIC data ports (interrupt mask registers). */
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

/* PIT: channel 2, gated and read back through port 0x61. */
#define PIT_HZ 1193182u
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_PORT_B 0x61
#define PORTB_GATE2 0x01
#define PORTB_SPEAKER 0x02
#define PORTB_OUT2 0x20
#define CALIBRATE_MS 10

static volatile uint32_t *lapic;
static uint32_t timer_hz;
static uint32_t lapic_ticks_per_ms;  /* at divide-by-16 */
static uint64_t tsc_khz_value;

void (*volatile timer_tick_hook)(struct trapframe *tf);

static uint32_t rd(uint32_t reg)
{
	return lapic[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	lapic[reg / 4] = v;
	/* A read back makes sure the write reached the LAPIC before we go on
	 * (the SDM's advice for EOI and ICR writes). */
	(void)lapic[LAPIC_ID / 4];
}

uint32_t lapic_id(void)
{
	return rd(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

static void icr_wait(void)
{
	while (rd(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING)
		cpu_pause();
}

static void icr_send(uint32_t apic_id, uint32_t low)
{
	/* ICR is two registers: an interrupt between the two writes that
	 * sends its own IPI would retarget ours. */
	uint64_t flags = irq_save();
	icr_wait();
	wr(LAPIC_ICR_HIGH, apic_id << 24);
	wr(LAPIC_ICR_LOW, low);
	icr_wait();
	/* Let the target run. Under QEMU -icount (tools/run.py) all vCPUs
	 * share one host thread in turn, and raising an IPI does not end the
	 * sender's turn: a halted target took it only when the sender next
	 * paused or halted, often not before shutdown (HACKING.md, "Known
	 * emulator behaviour"). pause ends the turn there; on hardware it is
	 * a spin-wait hint of a few cycles. */
	cpu_pause();
	irq_restore(flags);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	icr_send(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

void lapic_send_nmi(uint32_t apic_id)
{
	icr_send(apic_id, ICR_NMI | ICR_ASSERT);
}

void lapic_send_init(uint32_t apic_id)
{
	icr_send(apic_id, ICR_INIT | ICR_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint64_t trampoline_phys)
{
	/* The vector is the start page: the AP begins at CS = vector << 8,
	 * IP = 0, in real mode. */
	icr_send(apic_id, ICR_STARTUP | (uint32_t)(trampoline_phys >> 12));
}

static void timer_interrupt(struct trapframe *tf)
{
	this_cpu()->timer_ticks++;
	/* EOI before the hook: the hook may switch to another context and
	 * come back much later, and the LAPIC must not wait that long. */
	lapic_eoi();
	void (*hook)(struct trapframe *) = timer_tick_hook;
	if (hook)
		hook(tf);
}

static void spurious_interrupt(struct trapframe *tf)
{
	/* The LAPIC raises this when an interrupt goes away before it is
	 * accepted; it has no in-service bit, so no EOI (SDM 10.9). */
	(void)tf;
}

/* Measure the LAPIC timer and the TSC against CALIBRATE_MS of the PIT. */
static void calibrate(void)
{
	uint32_t count = PIT_HZ / (1000 / CALIBRATE_MS);

	/* Gate channel 2 on with the speaker off, mode 0 (OUT2 rises when the
	 * count reaches zero), then load the count, which starts it. */
	outb(PIT_PORT_B, (uint8_t)((inb(PIT_PORT_B) & ~PORTB_SPEAKER) | PORTB_GATE2));
	outb(PIT_CMD, 0xb0);   /* channel 2, lobyte/hibyte, mode 0, binary */
	wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	wr(LAPIC_TIMER_INIT, 0xffffffffu);
	uint64_t tsc0 = rdtsc();
	while (!(inb(PIT_PORT_B) & PORTB_OUT2))
		cpu_pause();
	uint64_t tsc1 = rdtsc();
	uint32_t elapsed = 0xffffffffu - rd(LAPIC_TIMER_CUR);
	wr(LAPIC_TIMER_INIT, 0);

	lapic_ticks_per_ms = elapsed / CALIBRATE_MS;
	/* Whole MHz: the trace header shows this value, and it should not
	 * wobble in its last digits from one GRUB boot to the next. */
	tsc_khz_value = ((tsc1 - tsc0) / CALIBRATE_MS + 500) / 1000 * 1000;
	if (lapic_ticks_per_ms == 0 || tsc_khz_value == 0)
		panic("lapic: calibration against the PIT failed (lapic %u/ms, tsc %llu kHz)",
		      lapic_ticks_per_ms, (unsigned long long)tsc_khz_value);
}

/* Enable this CPU's LAPIC and mask everything the kernel does not use. */
static void enable_this_lapic(bool bsp)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);

	wr(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	wr(LAPIC_TPR, 0);
	/* LINT0 carries the (masked) PIC's interrupts in virtual-wire mode:
	 * masked here too. LINT1 is the NMI line on the boot CPU. */
	wr(LAPIC_LVT_LINT0, LVT_MASKED);
	wr(LAPIC_LVT_LINT1, bsp ? LVT_DELIVERY_NMI : LVT_MASKED);
	wr(LAPIC_LVT_ERROR, LVT_MASKED);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	/* Writing ESR twice clears it (the first write latches). */
	wr(LAPIC_ESR, 0);
	wr(LAPIC_ESR, 0);
	/* An interrupt left in service by the firmware would block all of
	 * ours at or below its priority. */
	lapic_eoi();

	this_cpu()->apic_id = lapic_id();
}

static void start_timer(void)
{
	if (timer_hz == 0)
		return;
	uint32_t initial = lapic_ticks_per_ms * 1000 / timer_hz;
	wr(LAPIC_TIMER_DIV, TIMER_DIV_16);
	wr(LAPIC_LVT_TIMER, LVT_PERIODIC | IRQ_TIMER_VECTOR);
	wr(LAPIC_TIMER_INIT, initial ? initial : 1);
}

void lapic_init(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	if (!(r.edx & (1u << 9)))
		panic("lapic: this CPU has no local APIC");

	/* The PIC stays masked for good: every interrupt we use comes from
	 * the LAPIC. (LINT0 is masked too, so even a stray PIC request would
	 * not reach the CPU.) */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);

	lapic = P2V(rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK);
	timer_hz = (uint32_t)cmdline_u64("timer_hz", 100);
	if (timer_hz > 10000)
		panic("lapic: timer_hz=%u is more than 10000", timer_hz);

	trap_register(IRQ_TIMER_VECTOR, timer_interrupt);
	trap_register(SPURIOUS_VECTOR, spurious_interrupt);
	enable_this_lapic(true);
	calibrate();
	start_timer();
}

void lapic_init_ap(void)
{
	enable_this_lapic(false);
	start_timer();
}

uint32_t lapic_timer_hz(void)
{
	return timer_hz;
}

uint64_t tsc_khz(void)
{
	return tsc_khz_value;
}

void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_khz_value / 1000;
	while (rdtsc() < end)
		cpu_pause();
}
