# mk/iso.mk: the GRUB boot ISO (multiboot2), for Bochs and `qemu -cdrom`.
#
#   make iso CMDLINE='...' [BUGS=...]   -> build/tkern.iso
#
# The command line goes into grub.cfg, so the ISO is remade whenever the
# kernel or the command line changes (build/iso.cmdline remembers the last
# one). The scripted runner makes its own ISO per Bochs run (tools/mkiso.sh).

ISO := $(BUILD)/tkern.iso

.PHONY: iso FORCE
iso: $(ISO)

# Rewritten only when the command line differs from the last one.
$(BUILD)/iso.cmdline: FORCE
	@mkdir -p $(BUILD)
	@printf '%s\n' "$$TKERN_CMDLINE" | cmp -s - $@ || printf '%s\n' "$$TKERN_CMDLINE" > $@

$(ISO): $(BUILD)/kernel.elf $(BUILD)/iso.cmdline tools/mkiso.sh
	@tools/setup.sh iso
	tools/mkiso.sh $(BUILD)/kernel.elf $@ "$$TKERN_CMDLINE"
	@echo "iso: $@ (cmdline '$$TKERN_CMDLINE')"

FORCE:
