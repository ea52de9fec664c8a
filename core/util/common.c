/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Status strings and key wiping, used by every part of the core. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <uipsec/common.h>
#include "os/wipe.h"

static const char *const status_names[] = {
	[0] = "success",
	[1] = "failed",
	[2] = "authentication failed",
	[3] = "invalid argument",
	[4] = "out of memory",
	[5] = "not supported",
	[6] = "already exists",
	[7] = "not found",
	[8] = "try again",
	[9] = "I/O error",
	[10] = "permission denied",
};

const char *uipsec_status_str(int status)
{
	unsigned idx = status <= 0 ? (unsigned)-status : 1u;
	if (idx >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown error";
	return status_names[idx];
}

void uipsec_memwipe(void *p, size_t n)
{
	if (!p)
		return;
	/* a wipe the optimiser may not elide (explicit_bzero or memset_s) */
	os_wipe(p, n);
}

int uipsec_err_set(uipsec_err_t *err, int status, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return status;
}
