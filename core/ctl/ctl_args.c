/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl's ip-xfrm style arguments: which keywords each command takes
 * and what request member they fill, the ip xfrm phrases (encap, tmpl,
 * aead/enc/auth algorithms) translated to what uipsecd understands. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "control/control_proto.h"
#include "util/hex.h"
#include "ctl/ctl.h"

typedef enum arg_kind {
	ARG_STR,      /* copied as a string */
	ARG_NUM,      /* number (decimal or 0x) */
	ARG_FLAG,     /* no value: sets true */
	ARG_LIST,     /* comma-separated strings, repeatable: appended to an array */
	ARG_IGNORE,   /* accepted for ip-xfrm familiarity, value checked against 'only' */
} arg_kind_t;

typedef struct arg_spec {
	const char *word;        /* command-line keyword */
	const char *member;      /* request member */
	arg_kind_t kind;
	const char *only;        /* ARG_IGNORE: the one value accepted */
	unsigned takers;         /* the ctl_args_t that take it */
} arg_spec_t;

enum {
	SA = CTL_ARGS_SA,
	SA_DEL = CTL_ARGS_SA_DEL,
	POLICY = CTL_ARGS_POLICY,
	POLICY_DEL = CTL_ARGS_POLICY_DEL,
	TMPL = CTL_ARGS_TMPL,
	ALLOC_SPI = CTL_ARGS_ALLOC_SPI,
	MIGRATE = CTL_ARGS_SA_MIGRATE,
	ALL_COMMANDS = SA | SA_DEL | POLICY | POLICY_DEL,
};

/* One keyword may mean something else to another command ("dir" is an SA's
 * direction, a policy's dir). Inside "tmpl ...", the SA template of ip xfrm
 * policy, only spi and reqid say something to uipsecd (the SA carries its
 * own endpoints). */
static const arg_spec_t arg_specs[] = {
	{ "src", "src", ARG_STR, NULL, ALL_COMMANDS },
	{ "dst", "dst", ARG_STR, NULL, ALL_COMMANDS | ALLOC_SPI | MIGRATE },
	{ "src", NULL, ARG_IGNORE, NULL, TMPL },
	{ "dst", NULL, ARG_IGNORE, NULL, TMPL },
	{ "proto", NULL, ARG_IGNORE, "esp", SA | SA_DEL | TMPL },
	{ "proto", "proto", ARG_STR, NULL, POLICY | POLICY_DEL },
	{ "mode", NULL, ARG_IGNORE, "tunnel", SA | TMPL },
	{ "id", "id", ARG_NUM, NULL, POLICY_DEL },
	{ "spi", "spi", ARG_NUM, NULL, SA | SA_DEL | POLICY | TMPL | MIGRATE },
	{ "dir", "direction", ARG_STR, NULL, SA | SA_DEL | MIGRATE },
	{ "dir", "dir", ARG_STR, NULL, POLICY | POLICY_DEL },
	{ "esp", "esp", ARG_STR, NULL, SA },
	{ "key", "key", ARG_STR, NULL, SA },
	{ "integ-key", "integ_key", ARG_STR, NULL, SA },
	{ "reqid", "reqid", ARG_NUM, NULL, SA | POLICY | TMPL },
	{ "replay-window", "replay_window", ARG_NUM, NULL, SA },
	{ "sport", "sport", ARG_NUM, NULL, SA | POLICY | POLICY_DEL },
	{ "dport", "dport", ARG_NUM, NULL, SA | POLICY | POLICY_DEL },
	{ "tunnel", "tunnel", ARG_STR, NULL, SA },
	{ "esn", "esn", ARG_FLAG, NULL, SA },
	{ "local-ts", "local_ts", ARG_LIST, NULL, SA },
	{ "remote-ts", "remote_ts", ARG_LIST, NULL, SA },
	{ "any", "any", ARG_FLAG, NULL, SA },
	{ "action", "action", ARG_STR, NULL, POLICY },
	{ "priority", "priority", ARG_NUM, NULL, POLICY },
	/* routing like a tunnel's (control protocol v2) */
	{ "route", "route", ARG_FLAG, NULL, POLICY },
	{ "peer", "peer", ARG_STR, NULL, POLICY },
	/* migrate-sa: what changes; the SA is named by spi, dir and dst */
	{ "new-src", "new_src", ARG_STR, NULL, MIGRATE },
	{ "new-dst", "new_dst", ARG_STR, NULL, MIGRATE },
	{ "new-sport", "new_sport", ARG_NUM, NULL, MIGRATE },
	{ "new-dport", "new_dport", ARG_NUM, NULL, MIGRATE },
	{ "new-reqid", "new_reqid", ARG_NUM, NULL, MIGRATE },
	/* ip xfrm: limit time-soft N time-hard N byte-soft N ... */
	{ "time-soft", "soft_time", ARG_NUM, NULL, SA },
	{ "time-hard", "hard_time", ARG_NUM, NULL, SA },
	{ "byte-soft", "soft_bytes", ARG_NUM, NULL, SA },
	{ "byte-hard", "hard_bytes", ARG_NUM, NULL, SA },
	{ "packet-soft", "soft_packets", ARG_NUM, NULL, SA },
	{ "packet-hard", "hard_packets", ARG_NUM, NULL, SA },
	/* protocol 2 */
	{ "owner", "owner", ARG_STR, NULL, CTL_ARGS_OWNED },
	{ "min", "min", ARG_NUM, NULL, ALLOC_SPI },
	{ "max", "max", ARG_NUM, NULL, ALLOC_SPI },
	{ "timeout", "timeout", ARG_NUM, NULL, ALLOC_SPI },
};

static const arg_spec_t *find_arg(unsigned which, const char *word)
{
	for (size_t i = 0; i < G_N_ELEMENTS(arg_specs); i++)
		if ((arg_specs[i].takers & which) && strcmp(arg_specs[i].word, word) == 0)
			return &arg_specs[i];
	return NULL;
}

static bool set_number(JsonObject *o, const char *member, const char *text)
{
	char *end;
	errno = 0;
	if (!*text || *text == '-')
		return false;
	guint64 v = g_ascii_strtoull(text, &end, 0);
	if (errno || *end || v > G_MAXINT64)
		return false;
	json_object_set_int_member(o, member, (gint64)v);
	return true;
}

static void append_list(JsonObject *o, const char *member, const char *comma_separated)
{
	JsonArray *arr = json_object_has_member(o, member) ? json_object_get_array_member(o, member) : NULL;
	if (!arr) {
		arr = json_array_new();
		json_object_set_array_member(o, member, arr);
	}
	char **parts = g_strsplit(comma_separated, ",", -1);
	for (char **p = parts; *p; p++)
		json_array_add_string_element(arr, *p);
	g_strfreev(parts);
}

/* The cipher and integrity keywords that ip xfrm algorithms stand for. */
typedef struct xfrm_state {
	char enc[32], auth[16];
} xfrm_state_t;

/* Where parse_args() is in argv, and what it has built. */
typedef struct parse {
	ctl_args_t which;
	char **argv;
	int argc;
	int i;
	JsonObject *o;
	xfrm_state_t xs;
} parse_t;

/* One keyword (argv[i]) and its value; context names the phrase it is part
 * of in messages ("tmpl " or ""). */
static int parse_keyword(parse_t *p, unsigned which, const char *context)
{
	const char *w = p->argv[p->i];
	const arg_spec_t *a = find_arg(which, w);
	if (!a)
		return usage_error("unknown %sargument '%s'", context, w);
	if (a->kind == ARG_FLAG) {
		json_object_set_boolean_member(p->o, a->member, TRUE);
		p->i++;
		return EXIT_OK;
	}
	if (p->i + 1 >= p->argc)
		return usage_error("%s'%s' needs a value", context, w);
	const char *v = p->argv[p->i + 1];
	p->i += 2;
	switch (a->kind) {
	case ARG_STR:
		json_object_set_string_member(p->o, a->member, v);
		break;
	case ARG_NUM:
		if (!set_number(p->o, a->member, v))
			return usage_error("%s%s: '%s' is not a number", context, w, v);
		break;
	case ARG_LIST:
		append_list(p->o, a->member, v);
		break;
	case ARG_IGNORE:
		if (a->only && strcmp(v, a->only))
			return usage_error("%s%s must be '%s'", context, w, a->only);
		break;
	case ARG_FLAG:
		break;
	}
	return EXIT_OK;
}

/* ip-xfrm noise words: "limit time-soft 10", "flag esn" */
static int skip_noise_word(parse_t *p)
{
	p->i++;
	return EXIT_OK;
}

/* encap udp | encap none (raw ESP, IP protocol 50) | ip xfrm's
 * encap espinudp SPORT DPORT [OADDR] */
static int parse_encap(parse_t *p)
{
	char **argv = p->argv;
	int i = p->i;
	if (i + 1 < p->argc && (strcmp(argv[i + 1], "udp") == 0 || strcmp(argv[i + 1], "none") == 0)) {
		json_object_set_boolean_member(p->o, "encap", strcmp(argv[i + 1], "udp") == 0);
		p->i += 2;
		return EXIT_OK;
	}
	if (i + 3 >= p->argc || strcmp(argv[i + 1], "espinudp"))
		return usage_error("'encap' takes: udp, none, or espinudp SPORT DPORT");
	if (!set_number(p->o, "sport", argv[i + 2]) || !set_number(p->o, "dport", argv[i + 3]))
		return usage_error("'encap espinudp' ports must be numbers");
	p->i += 4;
	if (p->i < p->argc && uipsec_addr_parse(argv[p->i], &(uipsec_addr_t){ 0 }))
		p->i++;
	return EXIT_OK;
}

/* tmpl ...: the rest belongs to the template */
static int parse_tmpl(parse_t *p)
{
	for (p->i++; p->i < p->argc;) {
		int rc = parse_keyword(p, TMPL, "tmpl ");
		if (rc)
			return rc;
	}
	return EXIT_OK;
}

/* ip xfrm "aead ALGO KEY ICV-BITS" / "enc ALGO KEY" + "auth-trunc ALGO KEY BITS":
 * the Linux crypto names translated to strongSwan keywords by key size. */
typedef struct xfrm_alg {
	const char *linux_name;
	const char *kind;       /* "aead", "enc", "auth" */
	int bits;               /* key bits (without salt) or ICV bits for aead; 0 = any */
	const char *keyword;    /* aead: full keyword; enc/auth: the part before/after '-' */
} xfrm_alg_t;

static const xfrm_alg_t xfrm_algs[] = {
	{ "rfc4106(gcm(aes))", "aead", 128, "gcm16" },
	{ "rfc4106(gcm(aes))", "aead", 96, "gcm12" },
	{ "rfc4106(gcm(aes))", "aead", 64, "gcm8" },
	{ "rfc4309(ccm(aes))", "aead", 128, "ccm16" },
	{ "rfc4309(ccm(aes))", "aead", 96, "ccm12" },
	{ "rfc4309(ccm(aes))", "aead", 64, "ccm8" },
	{ "rfc4543(gcm(aes))", "aead", 128, "gmac" },
	{ "rfc7539esp(chacha20,poly1305)", "aead", 128, "chacha20poly1305" },
	{ "cbc(aes)", "enc", 0, "" },
	{ "rfc3686(ctr(aes))", "enc", 0, "ctr" },
	{ "ecb(cipher_null)", "enc", 0, "null" },
	{ "hmac(sha1)", "auth", 0, "sha1" },
	{ "hmac(sha256)", "auth", 0, "sha256" },
	{ "hmac(sha384)", "auth", 0, "sha384" },
	{ "hmac(sha512)", "auth", 0, "sha512" },
};

/* Decoded length of a key argument; 0 (and a usage message) when it is
 * not a key the daemon would take. */
static size_t key_bytes(const char *kind, const char *key)
{
	uint8_t buf[CONTROL_KEY_MAX];
	size_t n;
	hex_status_t st = hex_decode(key, buf, sizeof(buf), &n);
	uipsec_memwipe(buf, sizeof(buf));
	if (st != HEX_OK)
		usage_error("%s key %s (at most %d bytes)", kind, hex_status_str(st), CONTROL_KEY_MAX);
	return n;
}

/* "aead"/"enc"/"auth"/"auth-trunc" ALGO KEY [BITS] */
static int parse_xfrm_alg(parse_t *p)
{
	const char *kind = p->argv[p->i++];
	bool with_bits = strcmp(kind, "aead") == 0 || strcmp(kind, "auth-trunc") == 0;
	int need = with_bits ? 3 : 2;
	if (p->i + need >= p->argc + 1)
		return usage_error("'%s' needs ALGO KEY%s", kind, with_bits ? " BITS" : "");
	const char *name = p->argv[p->i], *key = p->argv[p->i + 1];
	int bits = with_bits ? atoi(p->argv[p->i + 2]) : 0;
	const char *k = strcmp(kind, "auth-trunc") == 0 ? "auth" : kind;
	p->i += need;
	for (size_t a = 0; a < G_N_ELEMENTS(xfrm_algs); a++) {
		const xfrm_alg_t *x = &xfrm_algs[a];
		if (strcmp(x->linux_name, name) || strcmp(x->kind, k))
			continue;
		if (strcmp(k, "aead") == 0) {
			if (x->bits != bits)
				continue;
			size_t kb = key_bytes(kind, key), salt = strstr(name, "ccm") ? 3 : 4;
			if (kb <= salt)
				return kb ? usage_error("aead key too short for '%s'", name) : EXIT_USAGE;
			if (strstr(name, "chacha"))
				g_strlcpy(p->xs.enc, x->keyword, sizeof(p->xs.enc));
			else  /* AES key bits: key minus salt (4 bytes GCM/GMAC, 3 CCM) */
				snprintf(p->xs.enc, sizeof(p->xs.enc), "aes%zu%s", (kb - salt) * 8, x->keyword);
			json_object_set_string_member(p->o, "key", key);
		} else if (strcmp(k, "enc") == 0) {
			size_t kb = 0, nonce = strstr(name, "ctr") ? 4 : 0;
			if (strcmp(x->keyword, "null") == 0)
				g_strlcpy(p->xs.enc, "null", sizeof(p->xs.enc));
			else if ((kb = key_bytes(kind, key)) <= nonce)
				return kb ? usage_error("enc key too short for '%s'", name) : EXIT_USAGE;
			else
				snprintf(p->xs.enc, sizeof(p->xs.enc), "aes%zu%s", (kb - nonce) * 8, x->keyword);
			json_object_set_string_member(p->o, "key", key);
		} else {
			if (!key_bytes(kind, key))
				return EXIT_USAGE;
			g_strlcpy(p->xs.auth, x->keyword, sizeof(p->xs.auth));
			json_object_set_string_member(p->o, "integ_key", key);
		}
		return EXIT_OK;
	}
	return usage_error("unknown %s algorithm '%s'%s", kind, name, with_bits ? " with that ICV length" : "");
}

/* The phrases of ip xfrm that are more than a keyword and its value. */
static const struct {
	const char *word;
	unsigned takers;
	int (*parse)(parse_t *p);
} phrases[] = {
	{ "limit", ALL_COMMANDS, skip_noise_word },
	{ "flag", ALL_COMMANDS, skip_noise_word },
	{ "encap", ALL_COMMANDS | MIGRATE, parse_encap },
	{ "tmpl", POLICY, parse_tmpl },
	{ "aead", SA, parse_xfrm_alg },
	{ "enc", SA, parse_xfrm_alg },
	{ "auth", SA, parse_xfrm_alg },
	{ "auth-trunc", SA, parse_xfrm_alg },
};

static int parse_next(parse_t *p)
{
	for (size_t k = 0; k < G_N_ELEMENTS(phrases); k++)
		if ((phrases[k].takers & p->which) && strcmp(phrases[k].word, p->argv[p->i]) == 0)
			return phrases[k].parse(p);
	return parse_keyword(p, p->which, "");
}

int parse_args(ctl_args_t which, char **argv, int argc, JsonObject *o)
{
	parse_t p = { .which = which, .argv = argv, .argc = argc, .o = o, .xs = { "", "" } };
	while (p.i < argc) {
		int rc = parse_next(&p);
		if (rc)
			return rc;
	}
	if (ctl_opt.owner && (which & CTL_ARGS_OWNED) && !json_object_has_member(o, "owner"))
		json_object_set_string_member(o, "owner", ctl_opt.owner);
	/* "enc ... auth ..." name the proposal unless "esp" does */
	if (p.xs.enc[0] && !json_object_has_member(o, "esp")) {
		char *kw = p.xs.auth[0] ? g_strdup_printf("%s-%s", p.xs.enc, p.xs.auth) : g_strdup(p.xs.enc);
		json_object_set_string_member(o, "esp", kw);
		g_free(kw);
	}
	return EXIT_OK;
}
