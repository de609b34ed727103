# mk/kernel.mk: build the kernel image.
#
# Outputs:
#   build/kernel.elf    ELF64 with symbols: what GDB and the trace tools read.
#   build/kernel32.elf  the same image as elf32-i386, because QEMU 7.2's
#                       multiboot1 loader (-kernel) refuses ELF64.
#
# Sources are picked up by wildcard (HACKING.md): every .c/.S under kernel/
# (not kernel/user/), kernel/arch/x86_64/, vmx/ and trace/kernel/. Adding a
# file needs no edit here; an empty or missing directory is fine.
#
# Symbols: the kernel prints symbolised RIPs and backtraces from a table of
# its own text symbols. The image is linked twice: pass 1 with an empty
# table, then `nm` of pass 1 becomes build/kernel/ksyms.S for pass 2. The
# table sits after all text (kernel.ld), so text addresses are the same in
# both passes; the build checks that and fails if they ever differ.

KCC      := gcc
KLD      := ld
KOBJCOPY := objcopy
KNM      := nm

# `make V=1` shows the full commands; by default one short line per step.
ifeq ($(V),1)
KQ :=
kmsg = @true
else
KQ := @
kmsg = @printf '  %-8s %s\n' $(1) $(2)
endif

KERNEL_LDS := kernel/arch/x86_64/kernel.ld
KBUILD     := $(BUILD)/kernel

KCFLAGS := -ffreestanding -mno-red-zone -mcmodel=kernel -fno-omit-frame-pointer \
	-fno-pic -fno-pie -mno-sse -mno-mmx -mno-sse2 -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-common \
	-fno-delete-null-pointer-checks \
	-nostdlib -O2 -g -std=gnu11 -Wall -Wextra -Werror -I. -MMD -MP
KASFLAGS := $(filter-out -std=gnu11,$(KCFLAGS)) -D__ASSEMBLY__
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T $(KERNEL_LDS)

# Every directory the kernel build collects sources from (sorted: the link
# order, and so the image, does not depend on the file system's order).
KERNEL_SRC_DIRS := kernel kernel/arch/x86_64 vmx trace/kernel
KERNEL_SRCS := $(sort $(foreach d,$(KERNEL_SRC_DIRS),$(wildcard $(d)/*.c $(d)/*.S)))
KERNEL_OBJS := $(patsubst %,$(KBUILD)/%.o,$(basename $(KERNEL_SRCS)))

KSYMS_EMPTY := $(KBUILD)/ksyms-empty.o
KSYMS_OBJ   := $(KBUILD)/ksyms.o

.PHONY: all kernel
all: kernel
kernel: $(BUILD)/kernel.elf $(BUILD)/kernel32.elf

$(KBUILD)/%.o: %.c mk/kernel.mk
	@mkdir -p $(dir $@)
	$(call kmsg,CC,$<)
	$(KQ)$(KCC) $(KCFLAGS) -c $< -o $@

$(KBUILD)/%.o: %.S mk/kernel.mk
	@mkdir -p $(dir $@)
	$(call kmsg,AS,$<)
	$(KQ)$(KCC) $(KASFLAGS) -c $< -o $@

# Pass 1: the same link with an empty symbol table.
$(KSYMS_EMPTY): mk/gen-ksyms.sh
	@mkdir -p $(dir $@)
	$(call kmsg,KSYMS,$@)
	$(KQ)sh mk/gen-ksyms.sh < /dev/null > $(KBUILD)/ksyms-empty.S
	$(KQ)$(KCC) $(KASFLAGS) -c $(KBUILD)/ksyms-empty.S -o $@

$(KBUILD)/kernel.pass1.elf: $(KERNEL_OBJS) $(KSYMS_EMPTY) $(KERNEL_LDS)
	$(call kmsg,LD,$@)
	$(KQ)$(KLD) $(KLDFLAGS) -o $@ $(KERNEL_OBJS) $(KSYMS_EMPTY)

# Pass 2: the table of pass 1's text symbols linked in.
$(KSYMS_OBJ): $(KBUILD)/kernel.pass1.elf mk/gen-ksyms.sh
	$(call kmsg,KSYMS,$@)
	$(KQ)$(KNM) -n --defined-only $< | sh mk/gen-ksyms.sh > $(KBUILD)/ksyms.S
	$(KQ)$(KCC) $(KASFLAGS) -c $(KBUILD)/ksyms.S -o $@

$(BUILD)/kernel.elf: $(KERNEL_OBJS) $(KSYMS_OBJ) $(KERNEL_LDS)
	$(call kmsg,LD,$@)
	$(KQ)$(KLD) $(KLDFLAGS) -o $@.tmp $(KERNEL_OBJS) $(KSYMS_OBJ)
	@$(KNM) -n --defined-only $@.tmp | sh mk/gen-ksyms.sh | cmp -s - $(KBUILD)/ksyms.S || \
		{ echo "kernel.mk: text symbols moved between link passes" >&2; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

$(BUILD)/kernel32.elf: $(BUILD)/kernel.elf
	$(call kmsg,OBJCOPY,$@)
	$(KQ)$(KOBJCOPY) -O elf32-i386 $< $@

-include $(KERNEL_OBJS:.o=.d)
