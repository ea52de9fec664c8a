/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seam: wiping memory in a way the optimiser may not remove (internal API;
 * uipsec_memwipe() of the SDK is built on it).
 *
 * Linux, FreeBSD (wipe_explicit_bzero.c): explicit_bzero(3).
 * macOS (wipe_memset_s.c): C11 Annex K memset_s(3), which macOS has and
 * explicit_bzero it has not. configure picks by the function it finds. */
#ifndef UIPSEC_CORE_OS_WIPE_H
#define UIPSEC_CORE_OS_WIPE_H

#include <stddef.h>

void os_wipe(void *p, size_t n);

#endif
