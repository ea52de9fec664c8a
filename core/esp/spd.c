/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security Policy Database: policies indexed by destination prefix
 * (tuple-space search over the distinct prefix lengths in use), with
 * per-worker exact-match flow caches in front. See spd.h. */
#include "config.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include "esp/db_lock.h"
#include "esp/spd.h"

/* Index key: direction, family, prefix length, masked destination.
 * Only uint8_t members: no padding, hashed and compared as bytes. */
typedef struct idx_key {
	uint8_t dir, fam, plen;
	uint8_t a[16];
} idx_key_t;

typedef struct idx_bucket {
	idx_key_t key;
	GPtrArray *pols;          /* spd_policy_t*, best first */
} idx_bucket_t;

#define FAMS 2
static inline unsigned fam_index(uint8_t family) { return family == AF_INET6; }
static inline unsigned fam_bits(uint8_t family) { return family == AF_INET6 ? 128 : 32; }

static bool spd_ready;
static GHashTable *spd_index;      /* idx_key_t* -> idx_bucket_t* */
static GHashTable *spd_by_id;      /* id -> spd_policy_t* */
static GHashTable *spd_dups;       /* spd_policy_t* (by dir, priority, selector) */
static uint32_t spd_next_id = 1;
static _Atomic uint64_t spd_gen = 1;
static uint32_t spd_n_dir[SPD_DIR_COUNT];   /* policies per direction */
/* Buckets per (dir, family, plen) and the lengths in use, longest first. */
static uint32_t plen_buckets[SPD_DIR_COUNT][FAMS][129];
static uint8_t plen_list[SPD_DIR_COUNT][FAMS][129];
static unsigned plen_n[SPD_DIR_COUNT][FAMS];

static guint key_hash(gconstpointer k)
{
	const uint8_t *b = k;
	uint64_t x, y;
	uint32_t z;
	memcpy(&x, b, 8);
	memcpy(&y, b + 8, 8);
	memcpy(&z, b + 15, 4);
	uint64_t h = x * 0x9E3779B97F4A7C15ull ^ (y + z * 0xC2B2AE3D27D4EB4Full);
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 32;
	return (guint)h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(idx_key_t)) == 0;
}

/* Identity of a policy for duplicate detection. */
static guint dup_hash(gconstpointer k)
{
	const spd_policy_t *p = k;
	guint h = p->dir * 31u + p->priority;
	const uint8_t *b = (const uint8_t *)&p->sel;
	for (size_t i = 0; i < sizeof(p->sel); i++)
		h = h * 16777619u ^ b[i];
	return h;
}

static gboolean dup_equal(gconstpointer a, gconstpointer b)
{
	const spd_policy_t *x = a, *y = b;
	return x->dir == y->dir && x->priority == y->priority &&
	       memcmp(&x->sel, &y->sel, sizeof(x->sel)) == 0;
}

static void bucket_free(gpointer b)
{
	idx_bucket_t *bk = b;
	g_ptr_array_free(bk->pols, TRUE);
	g_free(bk);
}

void spd_init(void)
{
	if (spd_ready)
		return;
	spd_index = g_hash_table_new_full(key_hash, key_equal, NULL, bucket_free);
	spd_by_id = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	spd_dups = g_hash_table_new(dup_hash, dup_equal);
	spd_ready = true;
}

/* ------------------------------------------------------------ selectors */

void spd_sel_any(spd_sel_t *s, uint8_t family)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->src_from.family = s->src_to.family = s->dst_from.family = s->dst_to.family = family;
	ip_addr_prefix_end(&s->src_to, 0, true);
	ip_addr_prefix_end(&s->dst_to, 0, true);
	s->sport_to = s->dport_to = 65535;
}

bool spd_sel_set_prefix(spd_sel_t *s, bool dst, const uipsec_addr_t *prefix, unsigned plen)
{
	if (prefix->family != s->family || plen > fam_bits(s->family))
		return false;
	uipsec_addr_t *from = dst ? &s->dst_from : &s->src_from;
	uipsec_addr_t *to = dst ? &s->dst_to : &s->src_to;
	*from = *prefix;
	memset(from->bytes + ip_addr_len(from->family), 0, 16 - ip_addr_len(from->family));
	ip_addr_prefix_end(from, plen, false);
	*to = *from;
	ip_addr_prefix_end(to, plen, true);
	return true;
}

bool spd_sel_parse_addr(spd_sel_t *s, bool dst, const char *text)
{
	char buf[128];
	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	char *dash = strchr(buf, '-');
	if (dash) {
		uipsec_addr_t a, b;
		*dash = '\0';
		if (!uipsec_addr_parse(buf, &a) || !uipsec_addr_parse(dash + 1, &b) || a.family != b.family ||
		    a.family != s->family || ip_addr_cmp(&a, &b) > 0)
			return false;
		*(dst ? &s->dst_from : &s->src_from) = a;
		*(dst ? &s->dst_to : &s->src_to) = b;
		return true;
	}
	uipsec_prefix_t p;
	return uipsec_prefix_parse(buf, &p) && spd_sel_set_prefix(s, dst, &p.addr, p.len);
}

static inline bool in_range(const uipsec_addr_t *x, const uipsec_addr_t *from, const uipsec_addr_t *to, size_t len)
{
	return memcmp(x->bytes, from->bytes, len) >= 0 && memcmp(x->bytes, to->bytes, len) <= 0;
}

bool spd_sel_match(const spd_sel_t *s, const ip_flow_t *f)
{
	if (s->family != f->src.family || s->family != f->dst.family)
		return false;
	size_t len = ip_addr_len(s->family);
	if (!in_range(&f->dst, &s->dst_from, &s->dst_to, len) ||
	    !in_range(&f->src, &s->src_from, &s->src_to, len))
		return false;
	if (s->proto && s->proto != f->proto)
		return false;
	return f->sport >= s->sport_from && f->sport <= s->sport_to &&
	       f->dport >= s->dport_from && f->dport <= s->dport_to;
}

/* Leading bits shared by from and to: the prefix length of an exact
 * prefix, an approximation of specificity for other ranges. */
static unsigned common_bits(const uipsec_addr_t *from, const uipsec_addr_t *to)
{
	unsigned bits = fam_bits(from->family);
	for (unsigned i = 0; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));
		if ((from->bytes[i / 8] & m) != (to->bytes[i / 8] & m))
			return i;
	}
	return bits;
}

static uint32_t sel_specificity(const spd_sel_t *s)
{
	uint32_t addr = common_bits(&s->src_from, &s->src_to) + common_bits(&s->dst_from, &s->dst_to);
	uint32_t rest = (s->proto ? 4u : 0u) +
	                (s->sport_from != 0 || s->sport_to != 65535 ? 1u : 0u) +
	                (s->dport_from != 0 || s->dport_to != 65535 ? 1u : 0u);
	return addr << 8 | rest;
}

/* Is a better than b? Lower priority value, then more specific, then older. */
static inline bool better(const spd_policy_t *a, const spd_policy_t *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority;
	if (a->specificity != b->specificity)
		return a->specificity > b->specificity;
	return a->id < b->id;
}

/* ------------------------------------------------------------ range -> prefixes */

static bool addr_inc(uipsec_addr_t *a)
{
	for (int i = (int)ip_addr_len(a->family) - 1; i >= 0; i--)
		if (++a->bytes[i] != 0)
			return true;
	return false;   /* wrapped: was the last address */
}

static unsigned trailing_zero_bits(const uipsec_addr_t *a)
{
	unsigned bits = fam_bits(a->family);
	for (unsigned i = 0; i < bits; i++) {
		unsigned bit = bits - 1 - i;
		if (a->bytes[bit / 8] & (0x80u >> (bit % 8)))
			return i;
	}
	return bits;
}

/* Call fn for each prefix covering [from, to] exactly. */
static void range_prefixes(const uipsec_addr_t *from, const uipsec_addr_t *to,
                           void (*fn)(const uipsec_addr_t *pfx, unsigned plen, void *u), void *u)
{
	unsigned bits = fam_bits(from->family);
	uipsec_addr_t cur = *from;
	for (;;) {
		unsigned host = trailing_zero_bits(&cur);
		uipsec_addr_t end;
		for (;; host--) {
			end = cur;
			ip_addr_prefix_end(&end, bits - host, true);
			if (ip_addr_cmp(&end, to) <= 0)
				break;
		}
		fn(&cur, bits - host, u);
		if (ip_addr_cmp(&end, to) >= 0)
			return;
		cur = end;
		if (!addr_inc(&cur))
			return;
	}
}

/* ------------------------------------------------------------ index */

static void plen_rebuild(unsigned dir, unsigned fam)
{
	unsigned n = 0;
	for (int l = 128; l >= 0; l--)
		if (plen_buckets[dir][fam][l])
			plen_list[dir][fam][n++] = (uint8_t)l;
	plen_n[dir][fam] = n;
}

static void make_key(idx_key_t *k, spd_dir_t dir, const uipsec_addr_t *dst, unsigned plen)
{
	k->dir = (uint8_t)dir;
	k->fam = (uint8_t)fam_index(dst->family);
	k->plen = (uint8_t)plen;
	memset(k->a, 0, sizeof(k->a));
	/* copy whole bytes of the prefix, then mask the partial one */
	memcpy(k->a, dst->bytes, (plen + 7) / 8);
	if (plen % 8)
		k->a[plen / 8] &= (uint8_t)(0xff00u >> (plen % 8));
}

static void index_insert(const uipsec_addr_t *pfx, unsigned plen, void *u)
{
	spd_policy_t *p = u;
	idx_key_t k;
	make_key(&k, p->dir, pfx, plen);
	idx_bucket_t *b = g_hash_table_lookup(spd_index, &k);
	if (!b) {
		b = g_new0(idx_bucket_t, 1);
		b->key = k;
		b->pols = g_ptr_array_new();
		g_hash_table_insert(spd_index, &b->key, b);
		if (plen_buckets[k.dir][k.fam][plen]++ == 0)
			plen_rebuild(k.dir, k.fam);
	}
	guint pos = 0;
	while (pos < b->pols->len && better(g_ptr_array_index(b->pols, pos), p))
		pos++;
	g_ptr_array_insert(b->pols, (gint)pos, p);
}

static void index_remove(const uipsec_addr_t *pfx, unsigned plen, void *u)
{
	spd_policy_t *p = u;
	idx_key_t k;
	make_key(&k, p->dir, pfx, plen);
	idx_bucket_t *b = g_hash_table_lookup(spd_index, &k);
	if (!b)
		return;
	g_ptr_array_remove(b->pols, p);
	if (b->pols->len == 0) {
		g_hash_table_remove(spd_index, &k);
		if (--plen_buckets[k.dir][k.fam][plen] == 0)
			plen_rebuild(k.dir, k.fam);
	}
}

static bool sel_valid(const spd_sel_t *s, uipsec_err_t *err)
{
	const char *why = NULL;
	if (s->family != AF_INET && s->family != AF_INET6)
		why = "selector family must be IPv4 or IPv6";
	else if (s->src_from.family != s->family || s->src_to.family != s->family ||
	         s->dst_from.family != s->family || s->dst_to.family != s->family)
		why = "selector addresses mix address families";
	else if (ip_addr_cmp(&s->src_from, &s->src_to) > 0 || ip_addr_cmp(&s->dst_from, &s->dst_to) > 0)
		why = "selector address range is empty";
	else if (s->sport_from > s->sport_to || s->dport_from > s->dport_to)
		why = "selector port range is empty";
	if (why && err)
		snprintf(err->msg, sizeof(err->msg), "%s", why);
	return !why;
}

/* Copy with unused address bytes and padding zeroed (selectors are
 * compared as bytes). */
static void sel_normalise(spd_sel_t *dst, const spd_sel_t *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->family = src->family;
	uipsec_addr_t *d[] = { &dst->src_from, &dst->src_to, &dst->dst_from, &dst->dst_to };
	const uipsec_addr_t *s[] = { &src->src_from, &src->src_to, &src->dst_from, &src->dst_to };
	for (int i = 0; i < 4; i++) {
		d[i]->family = s[i]->family;
		memcpy(d[i]->bytes, s[i]->bytes, ip_addr_len(s[i]->family));
	}
	dst->proto = src->proto;
	dst->sport_from = src->sport_from;
	dst->sport_to = src->sport_to;
	dst->dport_from = src->dport_from;
	dst->dport_to = src->dport_to;
}

int spd_add(const spd_policy_cfg_t *cfg, uint32_t *id, uipsec_err_t *err)
{
	if (cfg->dir >= SPD_DIR_COUNT || cfg->action > SPD_TRAP) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "bad policy direction or action");
		return UIPSEC_ERR_INVAL;
	}
	if (!sel_valid(&cfg->sel, err))
		return UIPSEC_ERR_INVAL;
	spd_policy_t *p = g_new0(spd_policy_t, 1);
	p->dir = cfg->dir;
	p->action = cfg->action;
	p->priority = cfg->priority ? cfg->priority : SPD_PRIO_DEFAULT;
	sel_normalise(&p->sel, &cfg->sel);
	p->specificity = sel_specificity(&p->sel);
	p->reqid = cfg->reqid;
	p->owner = cfg->owner;
	if (cfg->tunnel)
		g_strlcpy(p->tunnel, cfg->tunnel, sizeof(p->tunnel));

	db_write_lock();
	spd_init();
	if (g_hash_table_contains(spd_dups, p)) {
		db_write_unlock();
		g_free(p);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "an identical policy exists");
		return UIPSEC_ERR_EXISTS;
	}
	p->id = spd_next_id++;
	g_hash_table_insert(spd_by_id, GUINT_TO_POINTER(p->id), p);
	g_hash_table_add(spd_dups, p);
	range_prefixes(&p->sel.dst_from, &p->sel.dst_to, index_insert, p);
	spd_n_dir[p->dir]++;
	atomic_fetch_add(&spd_gen, 1);
	db_write_unlock();
	if (id)
		*id = p->id;
	return UIPSEC_OK;
}

int spd_del(uint32_t id)
{
	db_write_lock();
	spd_init();
	spd_policy_t *p = g_hash_table_lookup(spd_by_id, GUINT_TO_POINTER(id));
	if (!p) {
		db_write_unlock();
		return UIPSEC_ERR_NOTFOUND;
	}
	range_prefixes(&p->sel.dst_from, &p->sel.dst_to, index_remove, p);
	g_hash_table_remove(spd_dups, p);
	spd_n_dir[p->dir]--;
	atomic_fetch_add(&spd_gen, 1);
	g_hash_table_steal(spd_by_id, GUINT_TO_POINTER(id));
	db_write_unlock();
	g_free(p);   /* no reader can hold it: they run under the read lock */
	return UIPSEC_OK;
}

void spd_flush(void)
{
	db_write_lock();
	if (spd_ready) {
		g_hash_table_remove_all(spd_index);
		g_hash_table_remove_all(spd_dups);
		g_hash_table_remove_all(spd_by_id);
		memset(plen_buckets, 0, sizeof(plen_buckets));
		memset(plen_n, 0, sizeof(plen_n));
		memset(spd_n_dir, 0, sizeof(spd_n_dir));
		atomic_fetch_add(&spd_gen, 1);
	}
	db_write_unlock();
}

uint32_t spd_count(void)
{
	return spd_ready ? g_hash_table_size(spd_by_id) : 0;
}

uint32_t spd_count_dir(spd_dir_t dir)
{
	return dir < SPD_DIR_COUNT ? spd_n_dir[dir] : 0;
}

uint64_t spd_generation(void)
{
	return atomic_load_explicit(&spd_gen, memory_order_acquire);
}

spd_policy_t *spd_lookup(spd_dir_t dir, const ip_flow_t *f)
{
	if (!spd_ready || dir >= SPD_DIR_COUNT || f->dst.family != f->src.family ||
	    (f->dst.family != AF_INET && f->dst.family != AF_INET6))
		return NULL;
	unsigned fam = fam_index(f->dst.family);
	spd_policy_t *best = NULL;
	idx_key_t k;
	for (unsigned i = 0; i < plen_n[dir][fam]; i++) {
		make_key(&k, dir, &f->dst, plen_list[dir][fam][i]);
		idx_bucket_t *b = g_hash_table_lookup(spd_index, &k);
		if (!b)
			continue;
		for (guint j = 0; j < b->pols->len; j++) {
			spd_policy_t *p = g_ptr_array_index(b->pols, j);
			if (best && !better(p, best))
				break;   /* sorted: nothing further in this bucket beats best */
			if (spd_sel_match(&p->sel, f)) {
				best = p;
				break;
			}
		}
	}
	return best;
}

/* ------------------------------------------------------------ flow cache */

typedef struct cache_entry {
	uint64_t gen;
	ip_flow_t flow;
	uint8_t dir;
	spd_policy_t *pol;       /* may be NULL: "no policy" is cached too */
} cache_entry_t;

struct spd_cache {
	uint32_t mask;
	cache_entry_t *e;
};

spd_cache_t *spd_cache_new(unsigned entries_log2)
{
	if (entries_log2 > 20)
		entries_log2 = 20;
	spd_cache_t *c = g_new0(spd_cache_t, 1);
	c->mask = (1u << entries_log2) - 1;
	c->e = g_new0(cache_entry_t, (gsize)c->mask + 1);
	return c;
}

void spd_cache_free(spd_cache_t *c)
{
	if (!c)
		return;
	g_free(c->e);
	g_free(c);
}

static inline uint32_t flow_hash(const ip_flow_t *f, spd_dir_t dir)
{
	uint64_t a, b, c, d;
	memcpy(&a, f->src.bytes, 8);
	memcpy(&b, f->src.bytes + 8, 8);
	memcpy(&c, f->dst.bytes, 8);
	memcpy(&d, f->dst.bytes + 8, 8);
	uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
	h ^= (c ^ (d * 0xC2B2AE3D27D4EB4Full)) + ((uint64_t)f->sport << 32 | (uint64_t)f->dport << 16 |
	                                         (uint64_t)f->proto << 8 | dir);
	h *= 0x94D049BB133111EBull;
	return (uint32_t)(h ^ (h >> 31));
}

spd_policy_t *spd_cache_lookup(spd_cache_t *c, spd_dir_t dir, const ip_flow_t *f)
{
	uint64_t gen = spd_generation();
	cache_entry_t *e = &c->e[flow_hash(f, dir) & c->mask];
	if (e->gen == gen && e->dir == dir && ip_flow_eq(&e->flow, f))
		return e->pol;
	spd_policy_t *p = spd_lookup(dir, f);
	e->gen = gen;
	e->dir = (uint8_t)dir;
	e->flow = *f;
	e->pol = p;
	return p;
}

/* ------------------------------------------------------------ misc */

bool spd_acquire_allowed(spd_policy_t *p, int64_t now_us)
{
	int64_t last = __atomic_load_n(&p->last_acquire, __ATOMIC_RELAXED);
	if (last && now_us - last < SPD_ACQUIRE_INTERVAL_US)
		return false;
	return __atomic_compare_exchange_n(&p->last_acquire, &last, now_us, false,
	                                   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static gint id_cmp(gconstpointer a, gconstpointer b)
{
	uint32_t x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);
	return (x > y) - (x < y);
}

void spd_foreach(void (*fn)(const spd_policy_t *p, void *user), void *user)
{
	if (!spd_ready)
		return;
	GList *ids = g_list_sort(g_hash_table_get_keys(spd_by_id), id_cmp);
	for (GList *l = ids; l; l = l->next)
		fn(g_hash_table_lookup(spd_by_id, l->data), user);
	g_list_free(ids);
}

const spd_policy_t *spd_get(uint32_t id)
{
	return spd_ready ? g_hash_table_lookup(spd_by_id, GUINT_TO_POINTER(id)) : NULL;
}

const char *spd_action_name(spd_action_t a)
{
	static const char *const names[] = { "protect", "bypass", "drop", "trap" };
	return (unsigned)a < G_N_ELEMENTS(names) ? names[a] : "unknown";
}

const char *spd_dir_name(spd_dir_t d)
{
	return d == SPD_DIR_OUT ? "out" : d == SPD_DIR_IN ? "in" : "unknown";
}
