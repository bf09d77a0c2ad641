// SPDX-License-Identifier: GPL-2.0
/*
 * kiosk-tryboot: makes `reboot "0 tryboot"` set the Raspberry Pi firmware's
 * one-shot tryboot flag on Debian's kernel, which lacks the reboot notifier
 * Raspberry Pi OS carries in drivers/firmware/raspberrypi.c: on a restart
 * whose command contains "tryboot", send the mailbox property
 * SET_REBOOT_FLAGS (0x00038064) with flag 1 before the watchdog resets the
 * board. The bootloader then boots autoboot.txt's [tryboot] partition once.
 *
 * Built against the image's exact kernel headers and installed as
 * /lib/modules/$KVER/updates/kiosk-tryboot.ko by images/tryboot/build.sh
 * (from images/customize.sh); udev loads it by modalias only where the
 * device tree has the firmware node (a Pi; never under qemu -M virt).
 * NEVER RUN ON A PI HERE: images/README.md, "What only a real Pi can
 * prove". Drop it when Debian's kernel carries "firmware: raspberrypi: Add
 * reboot mode support".
 */
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/mod_devicetable.h>
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
	/*
	 * Reboot notifiers all run in kernel_restart_prepare(), before
	 * device_shutdown() (where the firmware driver sends NOTIFY_REBOOT)
	 * and before the watchdog's restart handler resets the board.
	 */
	.priority = 128,
};

/*
 * Only for the modalias (of:N*T*Craspberrypi,bcm2835-firmware*): udev loads
 * the module when the firmware's platform device appears. That device is
 * bound to the firmware driver, not to this module: init does the work.
 */
static const struct of_device_id kiosk_tryboot_of_match[] = {
	{ .compatible = "raspberrypi,bcm2835-firmware" },
	{ }
};
MODULE_DEVICE_TABLE(of, kiosk_tryboot_of_match);

/*
 * Debian's 6.1 arm64 config has CONFIG_RASPBERRYPI_FIRMWARE=y and
 * CONFIG_BCM2835_MBOX=y: the firmware driver is built in and has probed
 * during kernel init, before userspace (udev) can load this module. So a
 * missing rpi_firmware here will not appear later: fail with -ENODEV and
 * say so, rather than -EPROBE_DEFER (meaningless from a module's init).
 */
static int __init kiosk_tryboot_init(void)
{
	struct device_node *np = of_find_matching_node(NULL, kiosk_tryboot_of_match);
	int err;

	if (!np)
		return -ENODEV; /* not a Pi (only a manual modprobe gets here) */
	fw = rpi_firmware_get(np);
	of_node_put(np);
	if (!fw) {
		pr_err("kiosk-tryboot: the Raspberry Pi firmware driver is not bound: reboot \"0 tryboot\" will not set the tryboot flag\n");
		return -ENODEV;
	}
	err = register_reboot_notifier(&kiosk_tryboot_nb);
	if (err) {
		rpi_firmware_put(fw);
		return err;
	}
	pr_info("kiosk-tryboot: ready: reboot \"0 tryboot\" sets the firmware's tryboot flag\n");
	return 0;
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
