/*
 * vmx_model_test.c: host unit tests of the emulated VMX model
 * (vmx/emu_model.c). Each test drives the model the way the kernel's
 * emulated backend does and checks the VM-instruction outcome against the
 * SDM: VMsucceed, VMfailInvalid (CF), or VMfailValid (ZF) with the error
 * number that Bochs 2.7 stores for the same mistake.
 *
 *   vmx_model_test --list        names of the tests
 *   vmx_model_test NAME...       run those (all without arguments)
 *
 * Output: "PASS name" or "FAIL name: why" per test; exit status 1 on any
 * failure. tests/test_vmx_model.py turns each name into a pytest case.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "vmx/emu_model.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"

/* 64 KiB of "physical memory" at physical address 0. */
#define RAM_SIZE (64 * 1024)
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

static void *map_ram(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa < RAM_SIZE ? &ram[pa] : NULL;
}

static const struct emu_vmx_machine machine = { map_ram, NULL, 36 };

#define VMXON_PA	0x1000ull
#define VMCS_A		0x2000ull
#define VMCS_B		0x3000ull
#define VMCS_BADREV	0x4000ull
#define EPT_PML4	0x5000ull
#define GOOD_EPTP	(EPT_PML4 | EPTP_MEMTYPE_WB | EPTP_WALK_4)

static const char *failure;
#define CHECK(cond) do { if (!(cond)) { failure = #cond; return; } } while (0)

static void write_revision(uint64_t pa, uint32_t rev)
{
	memcpy(&ram[pa], &rev, 4);
}

/* A CPU in VMX root operation with no current VMCS, as after bring-up. */
static struct emu_vmx_cpu cpu;
static void setup(void)
{
	memset(ram, 0x6b, sizeof(ram));	/* poisoned, like freed kernel pages */
	write_revision(VMXON_PA, EMU_VMCS_REVISION);
	write_revision(VMCS_A, EMU_VMCS_REVISION);
	write_revision(VMCS_B, EMU_VMCS_REVISION);
	write_revision(VMCS_BADREV, EMU_VMCS_REVISION + 1);
	emu_vmx_cpu_init(&cpu, &machine);
	cpu.cr4_vmxe = true;
	cpu.feature_control_ok = true;
	struct emu_vmx_result r = emu_vmxon(&cpu, VMXON_PA);
	if (r.fault || r.rflags)
		abort();
}

static bool succeeded(struct emu_vmx_result r)
{
	return r.fault == EMU_NO_FAULT && r.rflags == 0;
}

static bool fail_invalid(struct emu_vmx_result r)
{
	return r.fault == EMU_NO_FAULT && r.rflags == RFLAGS_CF;
}

/* VMfailValid(err), and the number is in the current VMCS for VMREAD. */
static bool fail_valid(struct emu_vmx_result r, uint32_t err)
{
	uint64_t stored = 0;
	if (r.fault != EMU_NO_FAULT || r.rflags != RFLAGS_ZF || r.error != err)
		return false;
	if (!succeeded(emu_vmread(&cpu, VM_INSTRUCTION_ERROR, &stored)))
		return false;
	return stored == err;
}

static void load_a(void)
{
	emu_vmclear(&cpu, VMCS_A);
	emu_vmptrld(&cpu, VMCS_A);
}

/* Controls and host state that pass the entry checks. */
static void write_good_vmcs(void)
{
	uint64_t pin = emu_vmx_rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
	uint64_t proc = emu_vmx_rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
	uint64_t exitc = emu_vmx_rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
	uint64_t entry = emu_vmx_rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	emu_vmwrite(&cpu, PIN_BASED_VM_EXEC_CONTROL, (uint32_t)pin);
	emu_vmwrite(&cpu, CPU_BASED_VM_EXEC_CONTROL,
		    (uint32_t)proc | CPU_ACTIVATE_SECONDARY);
	emu_vmwrite(&cpu, SECONDARY_VM_EXEC_CONTROL, SECONDARY_ENABLE_EPT);
	emu_vmwrite(&cpu, EPT_POINTER, GOOD_EPTP);
	emu_vmwrite(&cpu, VM_EXIT_CONTROLS, (uint32_t)exitc | EXIT_HOST_ADDR_SPACE_SIZE);
	emu_vmwrite(&cpu, VM_ENTRY_CONTROLS, (uint32_t)entry);
	emu_vmwrite(&cpu, CR3_TARGET_COUNT, 0);
	emu_vmwrite(&cpu, HOST_CR0, 0x80050033);
	emu_vmwrite(&cpu, HOST_CR4, 0x000026a0);
	emu_vmwrite(&cpu, HOST_RIP, 0xffffffff80101234ull);
	/* The region is poisoned: every host selector must be written. */
	for (uint32_t f = HOST_ES_SELECTOR; f <= HOST_GS_SELECTOR; f += 2)
		emu_vmwrite(&cpu, f, 0x10);
	emu_vmwrite(&cpu, HOST_CS_SELECTOR, 0x08);
	emu_vmwrite(&cpu, HOST_TR_SELECTOR, 0x28);
	emu_vmwrite(&cpu, VMCS_LINK_POINTER, ~0ull);
	emu_vmwrite(&cpu, HOST_FS_BASE, 0);
	emu_vmwrite(&cpu, HOST_GS_BASE, 0xffff800000001000ull);
	emu_vmwrite(&cpu, HOST_TR_BASE, 0xffffffff80200000ull);
}

/* ---- the tests ---- */

static void t_vmxon_needs_cr4_vmxe(void)
{
	emu_vmx_cpu_init(&cpu, &machine);
	CHECK(emu_vmxon(&cpu, VMXON_PA).fault == EMU_FAULT_UD);
}

static void t_vmxon_needs_feature_control(void)
{
	emu_vmx_cpu_init(&cpu, &machine);
	cpu.cr4_vmxe = true;
	CHECK(emu_vmxon(&cpu, VMXON_PA).fault == EMU_FAULT_GP);
}

static void t_vmxon_bad_revision_fails_invalid(void)
{
	emu_vmx_cpu_init(&cpu, &machine);
	cpu.cr4_vmxe = cpu.feature_control_ok = true;
	CHECK(fail_invalid(emu_vmxon(&cpu, VMCS_BADREV)));
	CHECK(fail_invalid(emu_vmxon(&cpu, VMXON_PA + 8)));
	CHECK(!cpu.in_vmx);
}

static void t_vmxon_twice_is_error_15(void)
{
	load_a();
	CHECK(fail_valid(emu_vmxon(&cpu, VMXON_PA), VMXERR_VMXON_IN_ROOT));
}

static void t_vmx_insns_ud_outside_vmx(void)
{
	uint64_t v, desc[2] = { GOOD_EPTP, 0 };
	emu_vmxoff(&cpu);
	CHECK(emu_vmclear(&cpu, VMCS_A).fault == EMU_FAULT_UD);
	CHECK(emu_vmptrld(&cpu, VMCS_A).fault == EMU_FAULT_UD);
	CHECK(emu_vmread(&cpu, GUEST_RIP, &v).fault == EMU_FAULT_UD);
	CHECK(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc).fault == EMU_FAULT_UD);
	CHECK(emu_vmentry(&cpu, true).fault == EMU_FAULT_UD);
}

static void t_vmclear_bad_address_is_error_2(void)
{
	load_a();
	CHECK(fail_valid(emu_vmclear(&cpu, VMCS_B + 0x10), VMXERR_VMCLEAR_BAD_ADDR));
	CHECK(fail_valid(emu_vmclear(&cpu, 1ull << 40), VMXERR_VMCLEAR_BAD_ADDR));
}

static void t_vmclear_bad_address_no_vmcs_fails_invalid(void)
{
	CHECK(fail_invalid(emu_vmclear(&cpu, VMCS_B + 0x10)));
}

static void t_vmclear_vmxon_pointer_is_error_3(void)
{
	load_a();
	CHECK(fail_valid(emu_vmclear(&cpu, VMXON_PA), VMXERR_VMCLEAR_VMXON_PTR));
}

static void t_vmclear_of_current_invalidates_it(void)
{
	uint64_t p = 0;
	load_a();
	CHECK(succeeded(emu_vmclear(&cpu, VMCS_A)));
	emu_vmptrst(&cpu, &p);
	CHECK(p == EMU_VMCS_NONE);
}

static void t_vmclear_of_other_keeps_current(void)
{
	uint64_t p = 0;
	load_a();
	CHECK(succeeded(emu_vmclear(&cpu, VMCS_B)));
	emu_vmptrst(&cpu, &p);
	CHECK(p == VMCS_A);
}

/* The hardware writes the launch state into the region even when the page
 * was freed: VMCLEAR does not know or care what the memory is. */
static void t_vmclear_writes_freed_page(void)
{
	uint8_t before[4096];
	memcpy(before, &ram[VMCS_B], sizeof(before));
	CHECK(succeeded(emu_vmclear(&cpu, VMCS_B)));
	CHECK(memcmp(before, &ram[VMCS_B], sizeof(before)) != 0);
}

static void t_vmptrld_bad_address_is_error_9(void)
{
	load_a();
	CHECK(fail_valid(emu_vmptrld(&cpu, VMCS_B | 0x800), VMXERR_VMPTRLD_BAD_ADDR));
}

static void t_vmptrld_vmxon_pointer_is_error_10(void)
{
	load_a();
	CHECK(fail_valid(emu_vmptrld(&cpu, VMXON_PA), VMXERR_VMPTRLD_VMXON_PTR));
}

static void t_vmptrld_wrong_revision_is_error_11(void)
{
	load_a();
	CHECK(fail_valid(emu_vmptrld(&cpu, VMCS_BADREV), VMXERR_VMPTRLD_BAD_REVISION));
}

static void t_vmptrld_wrong_revision_no_vmcs_fails_invalid(void)
{
	CHECK(fail_invalid(emu_vmptrld(&cpu, VMCS_BADREV)));
}

static void t_vmread_without_vmcs_fails_invalid(void)
{
	uint64_t v;
	CHECK(fail_invalid(emu_vmread(&cpu, GUEST_RIP, &v)));
	CHECK(fail_invalid(emu_vmwrite(&cpu, GUEST_RIP, 0)));
}

static void t_vmread_unsupported_field_is_error_12(void)
{
	uint64_t v;
	load_a();
	CHECK(fail_valid(emu_vmread(&cpu, 0x6c7e, &v), VMXERR_UNSUPPORTED_FIELD));
	CHECK(fail_valid(emu_vmwrite(&cpu, 0x1ull << 32 | GUEST_RIP, 0),
			 VMXERR_UNSUPPORTED_FIELD));
	/* High-half access exists only for 64-bit fields. */
	CHECK(fail_valid(emu_vmread(&cpu, GUEST_RIP | 1, &v), VMXERR_UNSUPPORTED_FIELD));
}

static void t_vmwrite_read_only_field_is_error_13(void)
{
	load_a();
	CHECK(fail_valid(emu_vmwrite(&cpu, VM_EXIT_REASON, 1), VMXERR_WRITE_READONLY_FIELD));
	CHECK(fail_valid(emu_vmwrite(&cpu, EXIT_QUALIFICATION, 1),
			 VMXERR_WRITE_READONLY_FIELD));
}

static void t_vmwrite_vmread_round_trip_and_width(void)
{
	uint64_t v = 0;
	load_a();
	CHECK(succeeded(emu_vmwrite(&cpu, GUEST_RIP, 0x1234567890ull)));
	CHECK(succeeded(emu_vmread(&cpu, GUEST_RIP, &v)) && v == 0x1234567890ull);
	emu_vmwrite(&cpu, GUEST_CS_SELECTOR, 0x12345);
	emu_vmread(&cpu, GUEST_CS_SELECTOR, &v);
	CHECK(v == 0x2345);
	emu_vmwrite(&cpu, EPT_POINTER, 0x1111222233334444ull);
	emu_vmwrite(&cpu, EPT_POINTER | 1, 0x5555);
	emu_vmread(&cpu, EPT_POINTER, &v);
	CHECK(v == 0x0000555533334444ull);
	emu_vmread(&cpu, EPT_POINTER | 1, &v);
	CHECK(v == 0x5555);
}

/* A VMCS keeps its fields across VMCLEAR/VMPTRLD: they live in its region. */
static void t_fields_live_in_the_region(void)
{
	uint64_t v = 0;
	load_a();
	emu_vmwrite(&cpu, GUEST_RSP, 0xaaaa);
	emu_vmclear(&cpu, VMCS_B);
	emu_vmptrld(&cpu, VMCS_B);
	emu_vmwrite(&cpu, GUEST_RSP, 0xbbbb);
	emu_vmptrld(&cpu, VMCS_A);
	emu_vmread(&cpu, GUEST_RSP, &v);
	CHECK(v == 0xaaaa);
}

static void t_vmlaunch_without_vmcs_fails_invalid(void)
{
	CHECK(fail_invalid(emu_vmentry(&cpu, true)));
	CHECK(fail_invalid(emu_vmentry(&cpu, false)));
}

static void t_vmlaunch_then_vmresume(void)
{
	load_a();
	write_good_vmcs();
	CHECK(succeeded(emu_vmentry(&cpu, true)));
	CHECK(cpu.in_guest && emu_vmcs_launched(&cpu, VMCS_A));
	struct emu_vmexit_info e = { .reason = EXIT_REASON_HLT, .guest_rip = 0x1003,
				     .instr_len = 1 };
	emu_vmexit(&cpu, &e);
	uint64_t v = 0;
	emu_vmread(&cpu, VM_EXIT_REASON, &v);
	CHECK(v == EXIT_REASON_HLT && !cpu.in_guest);
	CHECK(succeeded(emu_vmentry(&cpu, false)));
}

static void t_vmlaunch_launched_vmcs_is_error_4(void)
{
	load_a();
	write_good_vmcs();
	emu_vmentry(&cpu, true);
	cpu.in_guest = false;
	CHECK(fail_valid(emu_vmentry(&cpu, true), VMXERR_VMLAUNCH_NOT_CLEAR));
}

/* The "lingering VMCS treated as launched" bug: VMCLEAR made it clear. */
static void t_vmresume_clear_vmcs_is_error_5(void)
{
	load_a();
	write_good_vmcs();
	emu_vmentry(&cpu, true);
	cpu.in_guest = false;
	emu_vmclear(&cpu, VMCS_A);
	emu_vmptrld(&cpu, VMCS_A);
	CHECK(fail_valid(emu_vmentry(&cpu, false), VMXERR_VMRESUME_NOT_LAUNCHED));
}

static void t_vmlaunch_bad_controls_is_error_7(void)
{
	load_a();
	write_good_vmcs();
	emu_vmwrite(&cpu, CPU_BASED_VM_EXEC_CONTROL, 0);	/* must-be-1 bits missing */
	CHECK(fail_valid(emu_vmentry(&cpu, true), VMXERR_ENTRY_BAD_CONTROLS));
	write_good_vmcs();
	emu_vmwrite(&cpu, EPT_POINTER, 0);			/* EPT on, EPTP 0 */
	CHECK(fail_valid(emu_vmentry(&cpu, true), VMXERR_ENTRY_BAD_CONTROLS));
	CHECK(!emu_vmcs_launched(&cpu, VMCS_A));
}

static void t_vmlaunch_bad_host_state_is_error_8(void)
{
	load_a();
	write_good_vmcs();
	emu_vmwrite(&cpu, HOST_CR4, 0x20);			/* no CR4.VMXE */
	CHECK(fail_valid(emu_vmentry(&cpu, true), VMXERR_ENTRY_BAD_HOST_STATE));
	write_good_vmcs();
	emu_vmwrite(&cpu, HOST_RIP, 0x0000800000000000ull);	/* not canonical */
	CHECK(fail_valid(emu_vmentry(&cpu, true), VMXERR_ENTRY_BAD_HOST_STATE));
}

static void t_vmlaunch_bad_link_pointer_exits_33(void)
{
	uint64_t v = 0;
	load_a();
	write_good_vmcs();
	emu_vmwrite(&cpu, VMCS_LINK_POINTER, 0);
	CHECK(succeeded(emu_vmentry(&cpu, true)));
	CHECK(!cpu.in_guest);
	emu_vmread(&cpu, VM_EXIT_REASON, &v);
	CHECK(v == (EXIT_REASON_ENTRY_BAD_GUEST | EXIT_REASON_ENTRY_FAILED));
}

static void t_invept_single_good_eptp_succeeds(void)
{
	uint64_t desc[2] = { GOOD_EPTP, 0 };
	CHECK(succeeded(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc)));
	desc[0] = EPT_PML4 | EPTP_MEMTYPE_UC | EPTP_WALK_4;
	CHECK(succeeded(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc)));
}

/* The seed's crash: a single-context INVEPT with EPTP 0 (walk length 1,
 * UC) is an invalid operand, error 28 when a VMCS is current. */
static void t_invept_eptp_zero_is_error_28(void)
{
	uint64_t desc[2] = { 0, 0 };
	load_a();
	CHECK(fail_valid(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc),
			 VMXERR_INVEPT_INVVPID_OPERAND));
}

/* ... and VMfailInvalid when no VMCS is current, which is the state right
 * after vmx_clear_vmcs()'s VMCLEAR of the current VMCS. Either way the
 * wrapper's `ja 1f; ud2` turns it into #UD. */
static void t_invept_eptp_zero_after_vmclear_fails_invalid(void)
{
	uint64_t desc[2] = { 0, 0 };
	load_a();
	emu_vmclear(&cpu, VMCS_A);
	CHECK(fail_invalid(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc)));
}

static void t_invept_bad_eptp_bits_are_error_28(void)
{
	static const uint64_t bad[] = {
		EPT_PML4 | 1 | EPTP_WALK_4,		/* memory type WC */
		EPT_PML4 | EPTP_MEMTYPE_WB | (2 << 3),	/* walk length 3 */
		GOOD_EPTP | 0x40,			/* A/D not supported */
		GOOD_EPTP | 0x800,			/* reserved bit 11 */
		GOOD_EPTP | (1ull << 40),		/* beyond MAXPHYADDR */
		0x6b6b6b6b6b6b6b6bull,			/* poison */
	};
	load_a();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t desc[2] = { bad[i], 0 };
		CHECK(fail_valid(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc),
				 VMXERR_INVEPT_INVVPID_OPERAND));
	}
}

static void t_invept_type_and_reserved_are_error_28(void)
{
	uint64_t desc[2] = { GOOD_EPTP, 0 };
	load_a();
	CHECK(fail_valid(emu_invept(&cpu, 3, desc), VMXERR_INVEPT_INVVPID_OPERAND));
	CHECK(fail_valid(emu_invept(&cpu, 0, desc), VMXERR_INVEPT_INVVPID_OPERAND));
	desc[1] = 1;
	CHECK(fail_valid(emu_invept(&cpu, INVEPT_SINGLE_CONTEXT, desc),
			 VMXERR_INVEPT_INVVPID_OPERAND));
}

static void t_invept_all_context_ignores_eptp(void)
{
	uint64_t desc[2] = { 0, 0 };
	CHECK(succeeded(emu_invept(&cpu, INVEPT_ALL_CONTEXT, desc)));
}

static void t_vmxoff_forgets_current_vmcs(void)
{
	uint64_t p = 0;
	load_a();
	CHECK(succeeded(emu_vmxoff(&cpu)));
	cpu.cr4_vmxe = true;
	CHECK(succeeded(emu_vmxon(&cpu, VMXON_PA)));
	emu_vmptrst(&cpu, &p);
	CHECK(p == EMU_VMCS_NONE);
}

static const struct test {
	const char *name;
	void (*fn)(void);
} tests[] = {
#define T(n) { #n, t_##n }
	T(vmxon_needs_cr4_vmxe),
	T(vmxon_needs_feature_control),
	T(vmxon_bad_revision_fails_invalid),
	T(vmxon_twice_is_error_15),
	T(vmx_insns_ud_outside_vmx),
	T(vmclear_bad_address_is_error_2),
	T(vmclear_bad_address_no_vmcs_fails_invalid),
	T(vmclear_vmxon_pointer_is_error_3),
	T(vmclear_of_current_invalidates_it),
	T(vmclear_of_other_keeps_current),
	T(vmclear_writes_freed_page),
	T(vmptrld_bad_address_is_error_9),
	T(vmptrld_vmxon_pointer_is_error_10),
	T(vmptrld_wrong_revision_is_error_11),
	T(vmptrld_wrong_revision_no_vmcs_fails_invalid),
	T(vmread_without_vmcs_fails_invalid),
	T(vmread_unsupported_field_is_error_12),
	T(vmwrite_read_only_field_is_error_13),
	T(vmwrite_vmread_round_trip_and_width),
	T(fields_live_in_the_region),
	T(vmlaunch_without_vmcs_fails_invalid),
	T(vmlaunch_then_vmresume),
	T(vmlaunch_launched_vmcs_is_error_4),
	T(vmresume_clear_vmcs_is_error_5),
	T(vmlaunch_bad_controls_is_error_7),
	T(vmlaunch_bad_host_state_is_error_8),
	T(vmlaunch_bad_link_pointer_exits_33),
	T(invept_single_good_eptp_succeeds),
	T(invept_eptp_zero_is_error_28),
	T(invept_eptp_zero_after_vmclear_fails_invalid),
	T(invept_bad_eptp_bits_are_error_28),
	T(invept_type_and_reserved_are_error_28),
	T(invept_all_context_ignores_eptp),
	T(vmxoff_forgets_current_vmcs),
#undef T
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static bool run(const struct test *t)
{
	setup();
	failure = NULL;
	t->fn();
	if (failure)
		printf("FAIL %s: %s\n", t->name, failure);
	else
		printf("PASS %s\n", t->name);
	return !failure;
}

int main(int argc, char **argv)
{
	bool ok = true;
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (unsigned i = 0; i < NTESTS; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	for (unsigned i = 0; i < NTESTS; i++) {
		bool wanted = argc == 1;
		for (int a = 1; a < argc; a++)
			wanted |= !strcmp(argv[a], tests[i].name);
		if (wanted)
			ok &= run(&tests[i]);
	}
	return ok ? 0 : 1;
}
