/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: common definitions shared by every public header.
 *
 * Status codes, the error-message object, export and C++ linkage macros and
 * memory wiping. Every other public header includes this one.
 */
#ifndef UIPSEC_COMMON_H
#define UIPSEC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * @def UIPSEC_BEGIN_DECLS
 * Opens a block of C declarations (extern "C" when compiled as C++).
 * @def UIPSEC_END_DECLS
 * Closes a block opened with UIPSEC_BEGIN_DECLS.
 */
#ifdef __cplusplus
#define UIPSEC_BEGIN_DECLS extern "C" {
#define UIPSEC_END_DECLS }
#else
#define UIPSEC_BEGIN_DECLS
#define UIPSEC_END_DECLS
#endif

/** Marks a public symbol: everything is built with -fvisibility=hidden,
 * public symbols say so. */
#define UIPSEC_EXPORT __attribute__((visibility("default")))

UIPSEC_BEGIN_DECLS

/** Status codes returned by core and plugin functions (0 = success). */
typedef enum uipsec_status {
	/** @var UIPSEC_OK
	 * success
	 * @var UIPSEC_ERR_NOMEM
	 * out of memory
	 * @var UIPSEC_ERR_EXISTS
	 * the object (route, SA, feature, ...) already exists
	 * @var UIPSEC_ERR_NOTFOUND
	 * no such object
	 * @var UIPSEC_ERR_PERM
	 * operation not permitted (missing privilege) */
	UIPSEC_OK = 0,
	UIPSEC_ERR = -1,          /* generic failure */
	UIPSEC_ERR_AUTH = -2,     /* integrity check (ICV/tag) failed */
	UIPSEC_ERR_INVAL = -3,    /* bad argument or length */
	UIPSEC_ERR_NOMEM = -4,
	UIPSEC_ERR_NOTSUP = -5,   /* algorithm or operation not supported */
	UIPSEC_ERR_EXISTS = -6,
	UIPSEC_ERR_NOTFOUND = -7,
	UIPSEC_ERR_AGAIN = -8,    /* would block / try later */
	UIPSEC_ERR_IO = -9,       /* system call failed, see errno / message */
	UIPSEC_ERR_PERM = -10,
} uipsec_status_t;

/** A short error message filled in by functions that can fail in many ways
 * (e.g. the network backend returning the kernel's message). */
typedef struct uipsec_err {
	/** NUL-terminated message, set by uipsec_err_set() */
	char msg[256];
} uipsec_err_t;

/** Name of a status code, for messages.
 * @param status a uipsec_status_t value (any int is accepted)
 * @return a static string, e.g. "invalid argument" (positive values give
 *         "failed", unknown codes "unknown error"); never NULL */
UIPSEC_EXPORT const char *uipsec_status_str(int status);

/** Fill err (if not NULL) with a formatted message and return status, so a
 * failing path reads: return uipsec_err_set(err, UIPSEC_ERR_INVAL, "...", ...);
 * @param err    the error object to fill, or NULL
 * @param status the status to return
 * @param fmt    printf-style format of the message (truncated to fit)
 * @return status */
UIPSEC_EXPORT int uipsec_err_set(uipsec_err_t *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Overwrite memory in a way the compiler may not elide (for key material).
 * @param p memory to wipe; NULL is ignored
 * @param n number of bytes */
UIPSEC_EXPORT void uipsec_memwipe(void *p, size_t n);

UIPSEC_END_DECLS

#endif
