/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Outbound sequence-number reservations on disk (see seq_store.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esp/sa.h"
#include "esp/seq_store.h"

#define HASH_HEX 16   /* 64 bits of SHA-256 name the keys */
#define SUFFIX ".seq"

struct seq_store {
	char *dir;        /* NULL: disabled */
};

struct seq_resv {
	seq_store_t *st;
	char *tunnel;
	char *path;       /* DIR/TUNNEL.SPI.HASH.seq */
	char *tmp;        /* path + ".tmp" */
	char hash[HASH_HEX + 1];
	uint32_t spi;
	uint64_t floor, end, block;
	uint64_t last_seq;
	int64_t last_time;
};

seq_store_t *seq_store_new(const char *dir)
{
	seq_store_t *st = g_new0(seq_store_t, 1);
	if (dir && *dir && strcmp(dir, "none") != 0)
		st->dir = g_strdup(dir);
	return st;
}

void seq_store_free(seq_store_t *st)
{
	if (!st)
		return;
	g_free(st->dir);
	g_free(st);
}

bool seq_store_enabled(const seq_store_t *st) { return st && st->dir; }
const char *seq_store_dir(const seq_store_t *st) { return st && st->dir ? st->dir : "none"; }

static void io_error(GError **err, int errsv, const char *what, const char *path)
{
	/* a full disk needs space, anything else write access */
	bool full = errsv == ENOSPC || errsv == EDQUOT;
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errsv),
	            "%s %s: %s (uipsecd.state_dir: %s, or set it to 'none' to accept that a "
	            "restart reuses sequence numbers and AEAD nonces)", what, path, g_strerror(errsv),
	            full ? "free space on its file system" : "make it writable");
}

/* One-way name of the keys: an attacker who reads the state directory
 * learns nothing about them. */
static void key_hash(const uint8_t *key, size_t key_len, const uint8_t *ikey, size_t ikey_len,
                     char out[HASH_HEX + 1])
{
	uint8_t d[32];
	sa_key_digest("uipsec-seq-v1|", key, key_len, ikey, ikey_len, d);
	for (int i = 0; i < HASH_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A file name part made of safe characters (the hash keeps names apart). */
static char *safe_name(const char *s)
{
	char *n = g_strdup(s && *s ? s : "sa");
	for (char *p = n; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			*p = '_';
	return n;
}

/* The "end N" line of a reservation file. */
static bool read_end(const char *path, uint64_t *end, GError **err)
{
	char *text = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		bool gone = g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT);
		if (gone) {
			*end = 0;
		} else {
			g_set_error(err, G_FILE_ERROR, e->code, "reading %s: %s (uipsecd.state_dir)", path, e->message);
		}
		g_error_free(e);
		return gone;
	}
	bool ok = false;
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		guint64 v;
		if (g_str_has_prefix(*l, "end ") && g_ascii_string_to_unsigned(*l + 4, 10, 0, G_MAXUINT64, &v, NULL)) {
			*end = v;
			ok = true;
		}
	}
	g_strfreev(lines);
	g_free(text);
	if (!ok)
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "%s is not a sequence-number reservation (no 'end N' line); the numbers these keys "
		            "used are unknown: use new keys, or remove the file if the peer's keys are new too "
		            "(uipsecd.state_dir)", path);
	return ok;
}

seq_resv_t *seq_resv_open(seq_store_t *st, const char *tunnel, uint32_t spi, const uint8_t *key,
                          size_t key_len, const uint8_t *integ_key, size_t integ_key_len, GError **err)
{
	if (!seq_store_enabled(st)) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "uipsecd.state_dir is 'none'");
		return NULL;
	}
	if (g_mkdir_with_parents(st->dir, 0700) < 0) {
		io_error(err, errno, "cannot create the state directory", st->dir);
		return NULL;
	}
	seq_resv_t *r = g_new0(seq_resv_t, 1);
	r->st = st;
	r->spi = spi;
	r->tunnel = g_strdup(tunnel ? tunnel : "");
	r->block = SEQ_BLOCK_MIN;
	key_hash(key, key_len, integ_key, integ_key_len, r->hash);
	char *name = safe_name(tunnel);
	char *base = g_strdup_printf("%s.%08" PRIx32 ".%s" SUFFIX, name, spi, r->hash);
	r->path = g_build_filename(st->dir, base, NULL);
	r->tmp = g_strconcat(r->path, ".tmp", NULL);
	g_free(base);
	g_free(name);

	/* every file of these keys counts (renamed tunnel, changed SPI) */
	GError *e = NULL;
	GDir *d = g_dir_open(st->dir, 0, &e);
	if (!d) {
		g_set_error(err, G_FILE_ERROR, e->code, "reading the state directory: %s (uipsecd.state_dir)", e->message);
		g_error_free(e);
		seq_resv_free(r);
		return NULL;
	}
	char *want = g_strconcat(".", r->hash, SUFFIX, NULL);
	bool ok = true;
	for (const char *f; ok && (f = g_dir_read_name(d));) {
		if (!g_str_has_suffix(f, want))
			continue;
		char *p = g_build_filename(st->dir, f, NULL);
		uint64_t v = 0;
		ok = read_end(p, &v, err);
		if (ok && v > r->floor)
			r->floor = v;
		g_free(p);
	}
	g_dir_close(d);
	g_free(want);
	if (!ok) {
		seq_resv_free(r);
		return NULL;
	}
	r->end = r->floor;
	r->last_seq = r->floor;
	r->last_time = g_get_monotonic_time();
	return r;
}

void seq_resv_free(seq_resv_t *r)
{
	if (!r)
		return;
	g_free(r->tunnel);
	g_free(r->path);
	g_free(r->tmp);
	g_free(r);
}

const char *seq_resv_path(const seq_resv_t *r) { return r->path; }
uint64_t seq_resv_floor(const seq_resv_t *r) { return r->floor; }
uint64_t seq_resv_end(const seq_resv_t *r) { return r->end; }
uint64_t seq_resv_wake_at(const seq_resv_t *r) { return r->end - r->block / 2; }

uint64_t seq_resv_want(seq_resv_t *r, uint64_t seq, int64_t now_us, bool force)
{
	if (!force && seq < r->end && r->end - seq > r->block / 2)
		return 0;
	/* about a second of traffic at the rate since the last reservation */
	uint64_t used = seq > r->last_seq ? seq - r->last_seq : 0;
	int64_t dt = now_us - r->last_time;
	uint64_t block = SEQ_BLOCK_MIN;
	if (dt > 0 && used) {
		double per_s = (double)used * (double)G_USEC_PER_SEC / (double)dt;
		while (block < SEQ_BLOCK_MAX && (double)block < per_s)
			block <<= 1;
	}
	uint64_t base = seq > r->end ? seq : r->end;
	if (base > UINT64_MAX - block)
		return UINT64_MAX;
	r->block = block;
	r->last_seq = seq;
	r->last_time = now_us;
	return base + block;
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

bool seq_resv_commit(seq_resv_t *r, uint64_t end, GError **err)
{
	if (end < r->end)
		end = r->end;   /* never give back what may have been used */
	char *text = g_strdup_printf("# uipsecd: outbound sequence numbers up to 'end' may have been used with "
	                             "these keys; do not edit\ntunnel %s\nspi 0x%08" PRIx32 "\nend %" PRIu64 "\n",
	                             r->tunnel, r->spi, end);
	int fd = open(r->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	bool ok = fd >= 0;
	int errsv = errno;
	const char *what = "cannot create";
	if (ok && (!write_all(fd, text, strlen(text)) || fsync(fd) < 0)) {
		errsv = errno ? errno : EIO;
		what = "cannot write";
		ok = false;
	}
	if (fd >= 0 && close(fd) < 0 && ok) {
		errsv = errno;
		what = "cannot write";
		ok = false;
	}
	g_free(text);
	if (ok && rename(r->tmp, r->path) < 0) {
		errsv = errno;
		what = "cannot rename to";
		ok = false;
	}
	if (!ok) {
		io_error(err, errsv, what, strcmp(what, "cannot rename to") == 0 ? r->path : r->tmp);
		if (fd >= 0)
			unlink(r->tmp);
		return false;
	}
	/* the rename itself must survive a crash */
	int dfd = open(r->st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		io_error(err, errno, "cannot sync the state directory", r->st->dir);
		if (dfd >= 0)
			close(dfd);
		return false;
	}
	close(dfd);
	r->end = end;
	return true;
}

/* ------------------------------------------------------------ wake-ups */

static atomic_int wake_pending;

void seq_store_wake(void)
{
	if (atomic_load_explicit(&wake_pending, memory_order_relaxed) ||
	    atomic_exchange_explicit(&wake_pending, 1, memory_order_acq_rel))
		return;
	g_main_context_wakeup(NULL);
}

static gboolean wake_prepare(GSource *s, gint *timeout)
{
	(void)s;
	*timeout = -1;
	return atomic_load(&wake_pending) != 0;
}

static gboolean wake_check(GSource *s)
{
	(void)s;
	return atomic_load(&wake_pending) != 0;
}

static gboolean wake_dispatch(GSource *s, GSourceFunc fn, gpointer user)
{
	(void)s;
	atomic_store(&wake_pending, 0);   /* before: a request during fn wakes again */
	return fn ? fn(user) : G_SOURCE_REMOVE;
}

static GSourceFuncs wake_funcs = { wake_prepare, wake_check, wake_dispatch, NULL, NULL, NULL };

guint seq_store_watch(GSourceFunc fn, gpointer user)
{
	GSource *s = g_source_new(&wake_funcs, sizeof(GSource));
	g_source_set_callback(s, fn, user, NULL);
	g_source_set_name(s, "seq-reserve");
	guint id = g_source_attach(s, NULL);
	g_source_unref(s);
	return id;
}
