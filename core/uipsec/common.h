/* uipsec public API: common definitions shared by every public header. */
#ifndef UIPSEC_COMMON_H
#define UIPSEC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define UIPSEC_BEGIN_DECLS extern "C" {
#define UIPSEC_END_DECLS }
#else
#define UIPSEC_BEGIN_DECLS
#define UIPSEC_END_DECLS
#endif

/* Everything is built with -fvisibility=hidden; public symbols say so. */
#define UIPSEC_EXPORT __attribute__((visibility("default")))

UIPSEC_BEGIN_DECLS

/* Status codes returned by core and plugin functions (0 = success). */
typedef enum uipsec_status {
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

/* A short error message filled in by functions that can fail in many ways
 * (e.g. the network backend returning the kernel's message). */
typedef struct uipsec_err {
	char msg[256];
} uipsec_err_t;

UIPSEC_EXPORT const char *uipsec_status_str(int status);

/* Fill err (if not NULL) with a formatted message and return status, so a
 * failing path reads: return uipsec_err_set(err, UIPSEC_ERR_INVAL, "...", ...); */
UIPSEC_EXPORT int uipsec_err_set(uipsec_err_t *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Overwrite memory in a way the compiler may not elide (for key material). */
UIPSEC_EXPORT void uipsec_memwipe(void *p, size_t n);

UIPSEC_END_DECLS

#endif
