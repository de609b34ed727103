/*
 * acpi.h: just enough ACPI to find the CPUs: the RSDP, the RSDT/XSDT and
 * the MADT's processor-local-APIC entries. QEMU's SeaBIOS and Bochs's BIOS
 * both provide these tables.
 */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include <stdint.h>

/* Fill apic_ids[] with the APIC IDs of the enabled processors, in the
 * MADT's order, at most max of them; return how many the MADT lists (which
 * may exceed max), or 0 if there is no usable MADT. */
int acpi_madt_cpus(uint32_t *apic_ids, int max);

#endif
