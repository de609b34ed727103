/*
 * syscall_arch.c: the MSRs behind SYSCALL, and the choice between SYSRET
 * and iretq on the way back.
 */
#include <stddef.h>

#include "kernel/arch/x86_64/syscall_arch.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/arch/x86_64/user_context.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"

#define MSR_STAR   0xc0000081u
#define MSR_LSTAR  0xc0000082u
#define MSR_CSTAR  0xc0000083u
#define MSR_SFMASK 0xc0000084u

/* Cleared on entry: IF (no interrupt before the stack switch), TF (no
 * single step in the kernel), DF (the C ABI), AC (SMAP-style checks off),
 * NT (iretq would task-switch). */
#define SFMASK_BITS ((1u << 9) | (1u << 8) | (1u << 10) | (1u << 18) | (1u << 14))

_Static_assert(offsetof(struct per_cpu_info, syscall_kstack) == 8,
	       "syscall_entry.S reads per_cpu_info.syscall_kstack at %gs:8");
_Static_assert(offsetof(struct per_cpu_info, syscall_user_rsp) == 16,
	       "syscall_entry.S uses per_cpu_info.syscall_user_rsp at %gs:16");

extern char syscall_entry[], syscall_entry_compat[];

void syscall_arch_init_cpu(void)
{
	/* SYSCALL: CS = STAR[47:32], SS = +8. SYSRET to 64-bit code:
	 * CS = STAR[63:48] + 16, SS = +8 (gdt.h orders the user segments so). */
	wrmsr(MSR_STAR, ((uint64_t)GDT_STAR_USER_BASE << 48) |
			((uint64_t)GDT_STAR_KERNEL_BASE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
	wrmsr(MSR_CSTAR, (uint64_t)(uintptr_t)syscall_entry_compat);
	wrmsr(MSR_SFMASK, SFMASK_BITS);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

bool syscall_frame_can_sysret(const struct trapframe *tf)
{
	return tf->vector == SYSCALL_VECTOR && tf->cs == GDT_UCODE &&
	       tf->rcx == tf->rip && tf->r11 == tf->rflags &&
	       tf->rip < USER_ADDR_END;
}

/*
 * Measured on a KVM host of the PVM kind (kvm_pvm: a software KVM with no
 * VMX or SVM under it): a SYSCALL in ring 3 does load RIP from LSTAR, RCX
 * and R11 with the return address and RFLAGS, and masks RFLAGS with SFMASK,
 * but leaves CS, SS and the privilege level alone. The first fetch from
 * syscall_entry, a supervisor page, is then a user-mode #PF whose RIP and
 * CR2 are syscall_entry. Everything a system call needs is in that frame,
 * so it becomes the frame the real entry builds: return address from RCX,
 * flags from R11. A process that jumps to syscall_entry itself gets the
 * same treatment; RCX and R11 are then its own, so the flags are made safe
 * as a sigreturn frame's are, and a kernel return address stays a #PF.
 * SYSRET works on that host, so the way out is the usual one.
 */
bool syscall_arch_finish_unprivileged_entry(struct trapframe *tf)
{
	static bool said_once;
	uintptr_t entry = (uintptr_t)syscall_entry;

	if (tf->vector != T_PAGE_FAULT || tf->cs != GDT_UCODE ||
	    tf->rip != entry || read_cr2() != entry || !(tf->error & PF_ERR_USER))
		return false;
	if (tf->rcx >= USER_ADDR_END)
		return false;
	tf->rip = tf->rcx;
	tf->r11 = tf->rflags = user_rflags_sanitize(tf->r11);
	tf->vector = SYSCALL_VECTOR;
	tf->error = 0;
	if (!said_once) {
		said_once = true;
		printk("syscall: ring 3 reached syscall_entry without the privilege "
		       "change (a hypervisor's SYSCALL, or a jump); finishing it as "
		       "a system call\n");
	}
	return true;
}
