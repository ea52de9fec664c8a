/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tun_bsd: TUN devices of FreeBSD (/dev/tun) and macOS (utun), and the
 * 4-byte address-family header both put in front of every packet.
 *
 * FreeBSD's tun with TUNSIFHEAD and macOS's utun frame each packet with the
 * address family as a 32-bit big-endian integer (AF_INET, AF_INET6: 28 on
 * FreeBSD, 30 on macOS). Reads strip it; writes prepend the family chosen
 * from the IP version nibble, so IPv6 works as well as IPv4 (strongSwan's
 * utun code always wrote AF_INET).
 *
 * No GLib: the framing helpers build on every system (they take the family
 * values as arguments) and are unit-tested on Linux; the device code, and
 * io-tun's system half on top of it (tun_sys.h), exist on FreeBSD and
 * macOS only ('make check-portability' compiles them for both).
 */
#ifndef TUN_BSD_H
#define TUN_BSD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TUN_AF_HDR_LEN 4

/* The values a platform uses in the header. */
typedef struct tun_af_values {
	uint32_t inet;
	uint32_t inet6;
} tun_af_values_t;

/* Family header for the IP packet ip[0..len): 0, or -EINVAL when the packet
 * is empty or neither IPv4 nor IPv6. */
int tun_af_hdr_build(uint8_t hdr[TUN_AF_HDR_LEN], const uint8_t *ip, size_t len,
                     const tun_af_values_t *af);

/* Check a header read from the device against the packet behind it: the IP
 * version (4 or 6), or -EINVAL for an unknown family, an empty packet or a
 * family that does not match the version nibble. */
int tun_af_hdr_parse(const uint8_t hdr[TUN_AF_HDR_LEN], const uint8_t *ip, size_t len,
                     const tun_af_values_t *af);

/* In place, for buffers with headroom: prepend writes the header into the
 * TUN_AF_HDR_LEN bytes before ip (which the caller owns) and returns the
 * framed length; strip validates a framed buffer and returns the length of
 * the IP packet that starts TUN_AF_HDR_LEN bytes in. Both -EINVAL on bad input. */
ssize_t tun_af_prepend(uint8_t *ip, size_t len, const tun_af_values_t *af);
ssize_t tun_af_strip(const uint8_t *framed, size_t len, const tun_af_values_t *af);

#if defined(__FreeBSD__) || defined(__APPLE__)
#define TUN_BSD_SUPPORTED 1

/* This system's AF_INET / AF_INET6. */
const tun_af_values_t *tun_bsd_af_values(void);

/* Open a TUN device, non-blocking and close-on-exec. want may be NULL/"".
 * FreeBSD: clones /dev/tun, switches on TUNSIFHEAD (and TUNSTRANSIENT where
 *   the headers have it), and renames the device to want if given (keeps
 *   tunN if the rename fails).
 * macOS: connects a PF_SYSTEM control socket to utun; want "utunN" asks for
 *   that unit (the kernel picks another if it is taken), anything else lets
 *   the kernel choose (macOS names must be utunN).
 * Returns the fd, its name in name[0..name_len), or a negative errno with a
 * message in err. */
int tun_bsd_open(const char *want, char *name, size_t name_len, char *err, size_t err_len);

/* Close the fd; on FreeBSD also destroy the cloned interface (it would
 * outlive the fd), on macOS the utun vanishes with its socket. */
void tun_bsd_close(int fd, const char *name);

/* One packet each, with read(2)/write(2) conventions so callers treat them
 * like the Linux fd: read strips the family header (readv, no copy) and
 * returns the IP packet's length; write prepends the header chosen by the
 * IP version nibble (writev) and returns len. On failure both return -1
 * with errno set: EAGAIN when nothing waits (non-blocking fd), EINVAL for a
 * packet that is not IPv4/IPv6 or whose header contradicts its version. */
ssize_t tun_bsd_read(int fd, uint8_t *buf, size_t cap);
ssize_t tun_bsd_write(int fd, const uint8_t *ip, size_t len);
#endif

#endif
