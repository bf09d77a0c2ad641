// SPDX-License-Identifier: GPL-2.0
/*
 * kiosk-tryboot: makes `reboot "0 tryboot"` set the Raspberry Pi firmware's
 * one-shot tryboot flag on Debian's kernel, which lacks the reboot notifier
 * Raspberry Pi OS carries in drivers/firmware/raspberrypi.c: on a restart
 * whose command contains "tryboot", send the mailbox property
 * SET_REBOOT_FLAGS (0x00038064) with flag 1 before the watchdog resets the
 * board. The bootloader then boots autoboot.txt's [tryboot] partition once.
 *
 * NOT BUILT INTO THE IMAGE YET and never run: it must be built against the
 * image's kernel headers (Kbuild beside it) and checked on a Pi 4
 * (images/README.md, "What only a real Pi can prove"). Drop it when Debian's
 * kernel carries "firmware: raspberrypi: Add reboot mode support".
 */
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/of.h>
#include <linux/reboot.h>
#include <linux/string.h>
#include <soc/bcm2835/raspberrypi-firmware.h>

#define KIOSK_SET_REBOOT_FLAGS 0x00038064

static struct rpi_firmware *fw;

static int kiosk_tryboot_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	const char *cmd = data;
	u32 flags = 1;

	if (action != SYS_RESTART || !cmd || !strstr(cmd, "tryboot"))
		return NOTIFY_DONE;
	if (rpi_firmware_property(fw, KIOSK_SET_REBOOT_FLAGS, &flags, sizeof(flags)))
		pr_emerg("kiosk-tryboot: the firmware did not take the tryboot flag\n");
	else
		pr_emerg("kiosk-tryboot: tryboot flag set\n");
	return NOTIFY_DONE;
}

static struct notifier_block kiosk_tryboot_nb = {
	.notifier_call = kiosk_tryboot_notify,
	.priority = 128, /* before the watchdog's restart handler */
};

static int __init kiosk_tryboot_init(void)
{
	struct device_node *np = of_find_compatible_node(NULL, NULL, "raspberrypi,bcm2835-firmware");

	if (!np)
		return -ENODEV;
	fw = rpi_firmware_get(np);
	of_node_put(np);
	if (!fw)
		return -EPROBE_DEFER;
	return register_reboot_notifier(&kiosk_tryboot_nb);
}

static void __exit kiosk_tryboot_exit(void)
{
	unregister_reboot_notifier(&kiosk_tryboot_nb);
	rpi_firmware_put(fw);
}

module_init(kiosk_tryboot_init);
module_exit(kiosk_tryboot_exit);
MODULE_DESCRIPTION("reboot \"0 tryboot\" sets the Raspberry Pi firmware's tryboot flag");
MODULE_LICENSE("GPL");
