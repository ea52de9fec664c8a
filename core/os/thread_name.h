/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Thread-name seam: name the calling thread (ps, top -H, gdb). Linux and
 * FreeBSD name any thread; macOS only the calling one, so the seam names
 * only the caller. */
#ifndef UIPSEC_OS_THREAD_NAME_H
#define UIPSEC_OS_THREAD_NAME_H

/* Best effort; at most 15 characters are kept. */
void os_thread_name_self(const char *name);

#endif
