/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the uipsec authors
 *
 * kernel_ipsec_t -> uipsecd control protocol v2. The method-by-method mapping
 * is in integrations/strongswan/README.md.
 */

/* asprintf(), pipe2() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "kernel_uipsec_ipsec.h"
#include "uipsec_ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <daemon.h>
#include <collections/linked_list.h>
#include <threading/mutex.h>
#include <utils/debug.h>

/** kernel-netlink's priority base (kernel_netlink_ipsec.c) */
#define PRIO_BASE 200000

/** error text size */
#define ERRLEN 256

typedef struct private_kernel_uipsec_ipsec_t private_kernel_uipsec_ipsec_t;

/** an SA this plugin installed */
typedef struct {
	uint32_t spi;		/* host order */
	bool inbound;
	host_t *dst;		/* no port */
	uint32_t reqid;
} sa_entry_t;

/** a policy this plugin installed, refcounted */
typedef struct {
	/** dir|src|dst|proto|sport|dport|priority */
	char *key;
	/** dir|src|dst|proto|sport|dport (to find twins of another priority) */
	char *sel;
	/** add-policy arguments, replayed after a uipsecd restart */
	char *args;
	/** for del-policy */
	char dir[4];
	char src[64];
	char dst[64];
	int proto;
	int sport;
	int dport;
	uint32_t priority;
	int refs;
} policy_entry_t;

struct private_kernel_uipsec_ipsec_t {

	/** public interface */
	kernel_uipsec_ipsec_t public;

	/** control client */
	uipsec_ctl_t *ctl;

	/** protects sas, policies, bypass_fds */
	mutex_t *lock;

	/** sa_entry_t */
	linked_list_t *sas;

	/** policy_entry_t */
	linked_list_t *policies;

	/** sockets given to bypass_socket() (int stored as pointer) */
	linked_list_t *bypass_fds;

	/** fwmark applied to bypass_fds */
	uint32_t fwmark;

	/** SPI range */
	uint32_t spi_min, spi_max;
};

/* ------------------------------------------------------------ helpers */

/**
 * snprintf() with strongSwan's printf hooks (%H host, %R traffic selector),
 * registered with glibc; called through a pointer so that gcc does not
 * check these formats against the standard ones.
 */
static int (*fmt)(char *buf, size_t len, const char *format, ...) = snprintf;

static void sa_entry_destroy(sa_entry_t *e)
{
	e->dst->destroy(e->dst);
	free(e);
}

static void policy_entry_destroy(policy_entry_t *e)
{
	free(e->key);
	free(e->sel);
	free(e->args);
	free(e);
}

/** find an SA entry by SPI (host order) and destination address */
static sa_entry_t *find_sa(private_kernel_uipsec_ipsec_t *this, uint32_t spi,
						   host_t *dst)
{
	enumerator_t *enumerator;
	sa_entry_t *e, *found = NULL;

	enumerator = this->sas->create_enumerator(this->sas);
	while (enumerator->enumerate(enumerator, &e))
	{
		if (e->spi == spi && dst->ip_equals(dst, e->dst))
		{
			found = e;
			break;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

/** "192.0.2.1" of a host */
static void host_str(host_t *h, char *buf, size_t len)
{
	fmt(buf, len, "%H", h);
}

/** is the error reply this code? */
static bool err_is(const char *err, const char *code)
{
	size_t n = strlen(code);

	return strncmp(err, code, n) == 0 && err[n] == ':';
}

/** a mark, interface ID, label or interface: not supported by uipsecd */
static bool unsupported_extras(const char *what, mark_t mark, uint32_t if_id,
							   sec_label_t *label, char *interface)
{
	if (mark.value || mark.mask)
	{
		DBG1(DBG_KNL, "kernel-uipsec: %s with a mark is not supported", what);
		return TRUE;
	}
	if (if_id)
	{
		DBG1(DBG_KNL, "kernel-uipsec: %s with an interface ID (if_id) is not "
			 "supported", what);
		return TRUE;
	}
	if (label)
	{
		DBG1(DBG_KNL, "kernel-uipsec: %s with a security label is not "
			 "supported", what);
		return TRUE;
	}
	if (interface)
	{
		DBG1(DBG_KNL, "kernel-uipsec: %s bound to an interface (%s) is not "
			 "supported", what, interface);
		return TRUE;
	}
	return FALSE;
}

/* ------------------------------------------------------------ algorithms */

/** charon's integrity algorithms as uipsecd's keyword suffixes */
static const struct {
	uint16_t alg;
	const char *name;
} integ_algs[] = {
	{ AUTH_HMAC_SHA1_96,      "sha1" },
	{ AUTH_HMAC_SHA2_256_128, "sha256" },
	{ AUTH_HMAC_SHA2_384_192, "sha384" },
	{ AUTH_HMAC_SHA2_512_256, "sha512" },
	{ AUTH_AES_CMAC_96,       "aescmac" },
};

/**
 * charon's encryption algorithms as uipsecd's ESP keywords (strongSwan's
 * proposal keywords). charon's key lengths include the salt/nonce it
 * derives with the key; uipsecd takes the keys the same way.
 */
static const struct {
	uint16_t alg;
	uint8_t salt;      /* bytes of salt/nonce at the end of the key */
	bool aead;         /* no integrity algorithm, no integrity key */
	bool aes;          /* "aes<bits><name>", key 16, 24 or 32 bytes */
	uint8_t key;       /* otherwise: "<name>", exactly this many key bytes */
	const char *name;
} esp_algs[] = {
	{ ENCR_AES_GCM_ICV8,       4, TRUE,  TRUE,   0, "gcm8" },
	{ ENCR_AES_GCM_ICV12,      4, TRUE,  TRUE,   0, "gcm12" },
	{ ENCR_AES_GCM_ICV16,      4, TRUE,  TRUE,   0, "gcm16" },
	{ ENCR_AES_CCM_ICV8,       3, TRUE,  TRUE,   0, "ccm8" },
	{ ENCR_AES_CCM_ICV12,      3, TRUE,  TRUE,   0, "ccm12" },
	{ ENCR_AES_CCM_ICV16,      3, TRUE,  TRUE,   0, "ccm16" },
	{ ENCR_NULL_AUTH_AES_GMAC, 4, TRUE,  TRUE,   0, "gmac" },
	{ ENCR_CHACHA20_POLY1305,  4, TRUE,  FALSE, 32, "chacha20poly1305" },
	{ ENCR_AES_CBC,            0, FALSE, TRUE,   0, "" },
	{ ENCR_AES_CTR,            4, FALSE, TRUE,   0, "ctr" },
	{ ENCR_NULL,               0, FALSE, FALSE,  0, "null" },
};

/** the index of an encryption algorithm in esp_algs, -1 if uipsecd has none */
static int esp_alg_index(uint16_t enc_alg)
{
	for (int i = 0; i < (int)countof(esp_algs); i++)
	{
		if (esp_algs[i].alg == enc_alg)
		{
			return i;
		}
	}
	return -1;
}

/**
 * uipsecd's ESP keyword for charon's algorithms and key length, FALSE if
 * uipsecd has none (key length included: AES 128/192/256 only).
 */
static bool esp_keyword(uint16_t enc_alg, size_t enc_len, uint16_t int_alg,
						char *buf, size_t len)
{
	const char *integ = NULL;
	int i = esp_alg_index(enc_alg), n;

	if (i < 0 || enc_len < esp_algs[i].salt)
	{
		return FALSE;
	}
	if (!esp_algs[i].aead)
	{
		for (int j = 0; j < (int)countof(integ_algs); j++)
		{
			if (integ_algs[j].alg == int_alg)
			{
				integ = integ_algs[j].name;
			}
		}
		if (!integ)
		{
			return FALSE;
		}
	}
	enc_len -= esp_algs[i].salt;
	if (esp_algs[i].aes)
	{
		if (enc_len != 16 && enc_len != 24 && enc_len != 32)
		{
			return FALSE;
		}
		n = snprintf(buf, len, "aes%d%s", (int)enc_len * 8, esp_algs[i].name);
	}
	else
	{
		if (enc_len != esp_algs[i].key)
		{
			return FALSE;
		}
		n = snprintf(buf, len, "%s", esp_algs[i].name);
	}
	if (integ && n >= 0 && (size_t)n < len)
	{
		n += snprintf(buf + n, len - n, "-%s", integ);
	}
	return n >= 0 && (size_t)n < len;
}

/** AEADs take no integrity key */
static bool is_aead(uint16_t enc_alg)
{
	int i = esp_alg_index(enc_alg);

	return i >= 0 && esp_algs[i].aead;
}

/* ------------------------------------------------------------ selectors */

/** protocols whose "ports" uipsecd understands as ports */
static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		   proto == IPPROTO_SCTP;
}

/**
 * A traffic selector as uipsecd's ts syntax (add-sa local_ts/remote_ts):
 * prefix or from-to range, with [proto/port] or [proto/from-to].
 */
static bool ts_to_sa_string(traffic_selector_t *ts, char *buf, size_t len)
{
	host_t *net, *from, *to;
	uint8_t mask, proto = ts->get_protocol(ts);
	uint16_t fp = ts->get_from_port(ts), tp = ts->get_to_port(ts);
	size_t n;

	if (ts->to_subnet(ts, &net, &mask))
	{
		n = fmt(buf, len, "%H/%u", net, mask);
		net->destroy(net);
	}
	else
	{
		if (net)
		{
			net->destroy(net);
		}
		from = host_create_from_chunk(AF_UNSPEC, ts->get_from_address(ts), 0);
		to = host_create_from_chunk(AF_UNSPEC, ts->get_to_address(ts), 0);
		if (!from || !to)
		{
			DESTROY_IF(from);
			DESTROY_IF(to);
			return FALSE;
		}
		n = fmt(buf, len, "%H-%H", from, to);
		from->destroy(from);
		to->destroy(to);
	}
	if (n >= len)
	{
		return FALSE;
	}
	if (proto)
	{
		if (has_ports(proto) && !(fp == 0 && tp == 0xffff) && fp <= tp)
		{
			if (fp == tp)
			{
				n += snprintf(buf + n, len - n, "[%u/%u]", proto, fp);
			}
			else
			{
				n += snprintf(buf + n, len - n, "[%u/%u-%u]", proto, fp, tp);
			}
		}
		else
		{
			n += snprintf(buf + n, len - n, "[%u]", proto);
		}
	}
	return n < len;
}

/** a list of traffic selectors as strings (up to 8, uipsecd's limit) */
static int ts_list_strings(linked_list_t *list, char bufs[8][128],
						   char *ptrs[8])
{
	enumerator_t *enumerator;
	traffic_selector_t *ts;
	int n = 0;

	if (!list)
	{
		return 0;
	}
	enumerator = list->create_enumerator(list);
	while (enumerator->enumerate(enumerator, &ts))
	{
		if (n == 8 || !ts_to_sa_string(ts, bufs[n], sizeof(bufs[n])))
		{
			n = -1;
			break;
		}
		ptrs[n] = bufs[n];
		n++;
	}
	enumerator->destroy(enumerator);
	return n;
}

/** one side of a policy: prefix and port (-1: any) */
static bool ts_to_policy(traffic_selector_t *ts, char *buf, size_t len,
						 uint8_t *prefixlen, int *port)
{
	host_t *net;
	uint8_t mask, proto = ts->get_protocol(ts);
	uint16_t fp = ts->get_from_port(ts), tp = ts->get_to_port(ts);

	if (!ts->to_subnet(ts, &net, &mask))
	{
		DESTROY_IF(net);
		DBG1(DBG_KNL, "kernel-uipsec: traffic selector %R is not a prefix, "
			 "uipsecd policies take prefixes only", ts);
		return FALSE;
	}
	fmt(buf, len, "%H/%u", net, mask);
	net->destroy(net);
	*prefixlen = mask;
	*port = -1;
	if (has_ports(proto) && !(fp == 0 && tp == 0xffff))
	{
		if (fp != tp)
		{
			DBG1(DBG_KNL, "kernel-uipsec: traffic selector %R has a port range, "
				 "uipsecd policies take one port or all", ts);
			return FALSE;
		}
		*port = fp;
	}
	return TRUE;
}

/* ------------------------------------------------------------ kernel_ipsec_t */

METHOD(kernel_ipsec_t, get_features, kernel_feature_t,
	private_kernel_uipsec_ipsec_t *this)
{
	ctl_daemon_status_t st;

	/* asked by charon's NAT detection of every IKE_SA: plain ESP (IP
	 * protocol 50) unless uipsecd said it has no raw ESP socket
	 * (socket.raw_esp = no); then every SA is UDP-encapsulated, as NAT-T */
	this->ctl->get_status(this->ctl, &st);
	if (st.pid && !st.raw_esp)
	{
		return KERNEL_REQUIRE_UDP_ENCAPSULATION | KERNEL_ESP_V3_TFC;
	}
	return KERNEL_ESP_V3_TFC;
}

METHOD(kernel_ipsec_t, get_spi, status_t,
	private_kernel_uipsec_ipsec_t *this, host_t *src, host_t *dst,
	uint8_t protocol, uint32_t *spi)
{
	char err[ERRLEN], addr[64];
	ctl_args_t *args;
	JsonObject *res;
	ctl_status_t st;
	int64_t v;

	if (protocol != IPPROTO_ESP)
	{
		DBG1(DBG_KNL, "kernel-uipsec: only ESP SPIs (not protocol %u)",
			 protocol);
		return NOT_SUPPORTED;
	}
	args = ctl_args_create();
	ctl_args_u64(args, "min", this->spi_min);
	ctl_args_u64(args, "max", this->spi_max);
	host_str(dst, addr, sizeof(addr));
	ctl_args_str(args, "dst", addr);
	ctl_args_str(args, "owner", this->ctl->get_owner(this->ctl));
	st = this->ctl->request(this->ctl, "alloc-spi", args, &res, err,
							sizeof(err));
	ctl_args_destroy(args);
	if (st != CTL_OK)
	{
		DBG1(DBG_KNL, "kernel-uipsec: alloc-spi failed: %s", err);
		return FAILED;
	}
	v = ctl_json_int(res, "spi", 0);
	json_object_unref(res);
	if (v < 256 || v > 0xffffffffLL)
	{
		DBG1(DBG_KNL, "kernel-uipsec: alloc-spi returned no SPI");
		return FAILED;
	}
	*spi = htonl((uint32_t)v);
	DBG2(DBG_KNL, "kernel-uipsec: allocated SPI %.8x", (uint32_t)v);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, get_cpi, status_t,
	private_kernel_uipsec_ipsec_t *this, host_t *src, host_t *dst,
	uint16_t *cpi)
{
	DBG1(DBG_KNL, "kernel-uipsec: IPComp is not supported by uipsecd");
	return NOT_SUPPORTED;
}

/** soft/hard limit pair; soft must not exceed hard */
static void add_limits(ctl_args_t *args, const char *soft, const char *hard,
					   uint64_t rekey, uint64_t life)
{
	if (life)
	{
		ctl_args_u64(args, hard, life);
	}
	if (rekey && (!life || rekey <= life))
	{
		ctl_args_u64(args, soft, rekey);
	}
}

METHOD(kernel_ipsec_t, add_sa, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_sa_id_t *id,
	kernel_ipsec_add_sa_t *data)
{
	char err[ERRLEN], esp[64], src[64], dst[64];
	char tsbuf[2][8][128], *tsp[2][8];
	int nlocal, nremote;
	linked_list_t *local, *remote;
	ctl_args_t *args;
	sa_entry_t *e;
	uint32_t spi = ntohl(id->spi);
	ctl_status_t st;

	if (id->proto != IPPROTO_ESP)
	{
		DBG1(DBG_KNL, "kernel-uipsec: only ESP is supported (not AH)");
		return NOT_SUPPORTED;
	}
	if (data->mode != MODE_TUNNEL)
	{
		DBG1(DBG_KNL, "kernel-uipsec: only tunnel mode is supported (not %N)",
			 ipsec_mode_names, data->mode);
		return NOT_SUPPORTED;
	}
	if (data->ipcomp != IPCOMP_NONE)
	{
		DBG1(DBG_KNL, "kernel-uipsec: IPComp is not supported");
		return NOT_SUPPORTED;
	}
	if (unsupported_extras("an SA", id->mark, id->if_id, data->label,
						   data->interface) ||
		unsupported_extras("an SA", data->mark, 0, NULL, NULL))
	{
		return NOT_SUPPORTED;
	}
	if (!esp_keyword(data->enc_alg, data->enc_key.len, data->int_alg, esp,
					 sizeof(esp)))
	{
		DBG1(DBG_KNL, "kernel-uipsec: algorithms %N (%zu bytes key) / %N are "
			 "not supported by uipsecd", encryption_algorithm_names,
			 data->enc_alg, data->enc_key.len, integrity_algorithm_names,
			 data->int_alg);
		return NOT_SUPPORTED;
	}
	if (data->tfc && !data->inbound)
	{
		DBG1(DBG_KNL, "kernel-uipsec: SA %.8x: uipsecd adds no TFC padding "
			 "(%u bytes requested), sending without", spi, data->tfc);
	}
	/* inbound: src_ts are the peer's (remote), dst_ts ours (local);
	 * outbound the other way round */
	local = data->inbound ? data->dst_ts : data->src_ts;
	remote = data->inbound ? data->src_ts : data->dst_ts;
	nlocal = ts_list_strings(local, tsbuf[0], tsp[0]);
	nremote = ts_list_strings(remote, tsbuf[1], tsp[1]);

	args = ctl_args_create();
	ctl_args_u64(args, "spi", spi);
	ctl_args_str(args, "direction", data->inbound ? "in" : "out");
	host_str(id->src, src, sizeof(src));
	host_str(id->dst, dst, sizeof(dst));
	ctl_args_str(args, "src", src);
	ctl_args_str(args, "dst", dst);
	/* ESP in UDP (NAT-T, RFC 3948, uipsecd's default: "encap" is sent only
	 * when false, so a uipsecd without raw ESP still takes UDP SAs) or plain
	 * ESP, IP protocol 50 */
	if (!data->encap)
	{
		ctl_args_bool(args, "encap", FALSE);
	}
	else
	{	/* the NAT-T ports of the IKE_SA: ours is uipsecd's socket.port;
		 * without encapsulation the hosts carry IKE's ports, no ESP's */
		if (id->src->get_port(id->src))
		{
			ctl_args_u64(args, "sport", id->src->get_port(id->src));
		}
		if (id->dst->get_port(id->dst))
		{
			ctl_args_u64(args, "dport", id->dst->get_port(id->dst));
		}
	}
	ctl_args_str(args, "esp", esp);
	ctl_args_hex(args, "key", data->enc_key);
	if (!is_aead(data->enc_alg))
	{
		ctl_args_hex(args, "integ_key", data->int_key);
	}
	if (data->esn)
	{
		ctl_args_bool(args, "esn", TRUE);
	}
	if (data->inbound)
	{
		ctl_args_u64(args, "replay_window", min(data->replay_window, 65536));
	}
	if (data->lifetime)
	{
		add_limits(args, "soft_time", "hard_time",
				   data->lifetime->time.rekey, data->lifetime->time.life);
		add_limits(args, "soft_bytes", "hard_bytes",
				   data->lifetime->bytes.rekey, data->lifetime->bytes.life);
		add_limits(args, "soft_packets", "hard_packets",
				   data->lifetime->packets.rekey, data->lifetime->packets.life);
	}
	if (data->reqid)
	{
		ctl_args_u64(args, "reqid", data->reqid);
	}
	ctl_args_str(args, "owner", this->ctl->get_owner(this->ctl));
	if (nlocal > 0 && nremote > 0)
	{
		ctl_args_strv(args, "local_ts", tsp[0], nlocal);
		ctl_args_strv(args, "remote_ts", tsp[1], nremote);
	}
	else if (data->inbound)
	{	/* selectors uipsecd cannot express: the in policies decide */
		DBG1(DBG_KNL, "kernel-uipsec: SA %.8x: traffic selectors not "
			 "expressible for uipsecd, installing it with \"any\"", spi);
		ctl_args_bool(args, "any", TRUE);
	}
	st = this->ctl->request(this->ctl, "add-sa", args, NULL, err,
							sizeof(err));
	ctl_args_destroy(args);
	if (st != CTL_OK)
	{
		DBG1(DBG_KNL, "kernel-uipsec: add-sa %s SPI %.8x failed: %s",
			 data->inbound ? "in" : "out", spi, err);
		return FAILED;
	}
	DBG2(DBG_KNL, "kernel-uipsec: added %s SA %.8x %s%s (reqid %u)",
		 data->inbound ? "in" : "out", spi, esp,
		 data->encap ? " in UDP" : "", data->reqid);

	INIT(e,
		.spi = spi,
		.inbound = data->inbound,
		.dst = host_create_from_chunk(AF_UNSPEC,
									  id->dst->get_address(id->dst), 0),
		.reqid = data->reqid,
	);
	this->lock->lock(this->lock);
	this->sas->insert_last(this->sas, e);
	this->lock->unlock(this->lock);
	return SUCCESS;
}

/** the direction of an SA we know, else inbound */
static bool sa_inbound(private_kernel_uipsec_ipsec_t *this, uint32_t spi,
					   host_t *dst, bool *known)
{
	sa_entry_t *e;
	bool inbound = TRUE;

	this->lock->lock(this->lock);
	e = find_sa(this, spi, dst);
	if (e)
	{
		inbound = e->inbound;
	}
	this->lock->unlock(this->lock);
	if (known)
	{
		*known = e != NULL;
	}
	return inbound;
}

METHOD(kernel_ipsec_t, update_sa, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_sa_id_t *id,
	kernel_ipsec_update_sa_t *data)
{
	char err[ERRLEN], addr[64];
	uint32_t spi = ntohl(id->spi);
	ctl_args_t *args;
	ctl_status_t st;
	sa_entry_t *e;
	uint16_t sport, dport;
	bool inbound, changed = FALSE;
	bool encap_changed = data->new_encap != data->encap;

	inbound = sa_inbound(this, spi, id->dst, NULL);
	args = ctl_args_create();
	ctl_args_u64(args, "spi", spi);
	ctl_args_str(args, "direction", inbound ? "in" : "out");
	host_str(id->dst, addr, sizeof(addr));
	ctl_args_str(args, "dst", addr);
	if (data->new_src && !data->new_src->ip_equals(data->new_src, id->src))
	{
		host_str(data->new_src, addr, sizeof(addr));
		ctl_args_str(args, "new_src", addr);
		changed = TRUE;
	}
	if (data->new_dst && !data->new_dst->ip_equals(data->new_dst, id->dst))
	{
		host_str(data->new_dst, addr, sizeof(addr));
		ctl_args_str(args, "new_dst", addr);
		changed = TRUE;
	}
	if (encap_changed)
	{	/* NAT appeared (or went) on a MOBIKE address update or DPD */
		ctl_args_bool(args, "encap", data->new_encap);
		changed = TRUE;
	}
	if (data->new_encap)
	{	/* ports are ESP's only with encapsulation; when it starts, both are
		 * sent: the SA had IKE's ports (500) or uipsecd's default */
		sport = data->new_src ? data->new_src->get_port(data->new_src) : 0;
		dport = data->new_dst ? data->new_dst->get_port(data->new_dst) : 0;
		if (sport && (encap_changed || sport != id->src->get_port(id->src)))
		{
			ctl_args_u64(args, "new_sport", sport);
			changed = TRUE;
		}
		if (dport && (encap_changed || dport != id->dst->get_port(id->dst)))
		{
			ctl_args_u64(args, "new_dport", dport);
			changed = TRUE;
		}
	}
	if (data->new_reqid)
	{
		ctl_args_u64(args, "new_reqid", data->new_reqid);
		changed = TRUE;
	}
	if (!changed)
	{
		ctl_args_destroy(args);
		return SUCCESS;
	}
	st = this->ctl->request(this->ctl, "migrate-sa", args, NULL, err,
							sizeof(err));
	ctl_args_destroy(args);
	if (st != CTL_OK)
	{
		DBG1(DBG_KNL, "kernel-uipsec: migrate-sa %.8x failed: %s", spi, err);
		return FAILED;
	}
	DBG1(DBG_KNL, "kernel-uipsec: migrated SA %.8x to %H -> %H%s", spi,
		 data->new_src ?: id->src, data->new_dst ?: id->dst,
		 !encap_changed ? "" : data->new_encap ? ", now ESP in UDP"
												: ", now plain ESP");
	if (data->new_dst)
	{
		this->lock->lock(this->lock);
		e = find_sa(this, spi, id->dst);
		if (e)
		{
			e->dst->destroy(e->dst);
			e->dst = host_create_from_chunk(AF_UNSPEC,
							data->new_dst->get_address(data->new_dst), 0);
			if (data->new_reqid)
			{
				e->reqid = data->new_reqid;
			}
		}
		this->lock->unlock(this->lock);
	}
	return SUCCESS;
}

METHOD(kernel_ipsec_t, query_sa, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_sa_id_t *id,
	kernel_ipsec_query_sa_t *data, uint64_t *bytes, uint64_t *packets,
	time_t *time)
{
	char err[ERRLEN], addr[64];
	uint32_t spi = ntohl(id->spi);
	int64_t last, now;
	ctl_args_t *args;
	JsonObject *res;
	ctl_status_t st;
	bool inbound;

	inbound = sa_inbound(this, spi, id->dst, NULL);
	args = ctl_args_create();
	ctl_args_u64(args, "spi", spi);
	ctl_args_str(args, "direction", inbound ? "in" : "out");
	host_str(id->dst, addr, sizeof(addr));
	ctl_args_str(args, "dst", addr);
	st = this->ctl->request(this->ctl, "query-sa", args, &res, err,
							sizeof(err));
	ctl_args_destroy(args);
	if (st != CTL_OK)
	{
		DBG2(DBG_KNL, "kernel-uipsec: query-sa %.8x failed: %s", spi, err);
		return err_is(err, "not-found") ? NOT_FOUND : FAILED;
	}
	if (bytes)
	{
		*bytes = ctl_json_int(res, "bytes", 0);
	}
	if (packets)
	{
		*packets = ctl_json_int(res, "packets", 0);
	}
	if (time)
	{
		last = ctl_json_int(res, "last_use_mono", 0);
		now = ctl_json_int(res, "now_mono", 0);
		*time = 0;
		if (last > 0)
		{	/* uipsecd's CLOCK_MONOTONIC on charon's time_monotonic() */
			*time = time_monotonic(NULL) - (now > last ? now - last : 0);
		}
	}
	json_object_unref(res);
	return SUCCESS;
}

/** send del-sa for one direction */
static ctl_status_t del_sa_dir(private_kernel_uipsec_ipsec_t *this,
							   uint32_t spi, host_t *dst, bool inbound,
							   char *err, size_t errlen)
{
	char addr[64];
	ctl_args_t *args;
	ctl_status_t st;

	args = ctl_args_create();
	ctl_args_u64(args, "spi", spi);
	ctl_args_str(args, "direction", inbound ? "in" : "out");
	host_str(dst, addr, sizeof(addr));
	ctl_args_str(args, "dst", addr);
	st = this->ctl->request(this->ctl, "del-sa", args, NULL, err, errlen);
	ctl_args_destroy(args);
	return st;
}

METHOD(kernel_ipsec_t, del_sa, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_sa_id_t *id,
	kernel_ipsec_del_sa_t *data)
{
	char err[ERRLEN];
	uint32_t spi = ntohl(id->spi);
	ctl_status_t st;
	sa_entry_t *e;
	bool inbound, known;

	inbound = sa_inbound(this, spi, id->dst, &known);
	st = del_sa_dir(this, spi, id->dst, inbound, err, sizeof(err));
	if (st == CTL_ERROR && err_is(err, "not-found") && !known)
	{	/* not ours, or an unused SPI: try the other direction */
		st = del_sa_dir(this, spi, id->dst, !inbound, err, sizeof(err));
	}
	this->lock->lock(this->lock);
	e = find_sa(this, spi, id->dst);
	if (e)
	{
		this->sas->remove(this->sas, e, NULL);
		sa_entry_destroy(e);
	}
	this->lock->unlock(this->lock);
	if (st == CTL_OK || (st == CTL_ERROR && err_is(err, "not-found")))
	{
		DBG2(DBG_KNL, "kernel-uipsec: deleted SA %.8x", spi);
		return SUCCESS;
	}
	DBG1(DBG_KNL, "kernel-uipsec: del-sa %.8x failed: %s", spi, err);
	return FAILED;
}

/** flush this owner's state in uipsecd and forget ours */
static status_t flush(private_kernel_uipsec_ipsec_t *this)
{
	char err[ERRLEN];
	ctl_args_t *args;
	ctl_status_t st;

	args = ctl_args_create();
	ctl_args_str(args, "owner", this->ctl->get_owner(this->ctl));
	st = this->ctl->request(this->ctl, "flush", args, NULL, err, sizeof(err));
	ctl_args_destroy(args);
	this->lock->lock(this->lock);
	this->sas->destroy_function(this->sas, (void*)sa_entry_destroy);
	this->sas = linked_list_create();
	this->policies->destroy_function(this->policies,
									 (void*)policy_entry_destroy);
	this->policies = linked_list_create();
	this->lock->unlock(this->lock);
	if (st != CTL_OK)
	{
		DBG1(DBG_KNL, "kernel-uipsec: flush failed: %s", err);
		return FAILED;
	}
	return SUCCESS;
}

METHOD(kernel_ipsec_t, flush_sas, status_t,
	private_kernel_uipsec_ipsec_t *this)
{
	return flush(this);
}

/**
 * kernel-netlink's priority (kernel_netlink_ipsec.c:get_priority), times 4
 * plus a rank of the type so that protect < drop < bypass at equal priority.
 */
static uint32_t policy_priority(kernel_ipsec_manage_policy_t *data,
								uint8_t plen_s, uint8_t plen_d, uint8_t proto,
								int sport, int dport)
{
	uint32_t priority = PRIO_BASE, rank;

	if (data->manual_prio)
	{
		return data->manual_prio;
	}
	switch (data->prio)
	{
		case POLICY_PRIORITY_FALLBACK:
			priority += PRIO_BASE;
			/* fall-through */
		case POLICY_PRIORITY_ROUTED:
		case POLICY_PRIORITY_DEFAULT:
			priority += PRIO_BASE;
			/* fall-through */
		case POLICY_PRIORITY_PASS:
			break;
	}
	priority -= (plen_s + plen_d) * 512;
	priority -= proto ? 256 : 0;
	priority -= ((sport >= 0 ? 16 : 0) + (dport >= 0 ? 16 : 0)) * 4;
	priority -= (data->prio != POLICY_PRIORITY_ROUTED);
	rank = data->type == POLICY_IPSEC ? 0 : data->type == POLICY_DROP ? 1 : 2;
	return priority * 4 + rank;
}

/** build the policy entry (not installed yet) of an add/del call */
static policy_entry_t *make_policy(kernel_ipsec_policy_id_t *id,
								   kernel_ipsec_manage_policy_t *data,
								   const char *owner)
{
	policy_entry_t *e;
	const char *action;
	uint8_t plen_s, plen_d, proto;
	ctl_args_t *args;
	char peer[64];

	INIT(e);
	proto = id->src_ts->get_protocol(id->src_ts);
	if (!proto)
	{
		proto = id->dst_ts->get_protocol(id->dst_ts);
	}
	if (!ts_to_policy(id->src_ts, e->src, sizeof(e->src), &plen_s, &e->sport) ||
		!ts_to_policy(id->dst_ts, e->dst, sizeof(e->dst), &plen_d, &e->dport))
	{
		free(e);
		return NULL;
	}
	e->proto = proto;
	snprintf(e->dir, sizeof(e->dir), "%s", id->dir == POLICY_IN ? "in" : "out");
	e->priority = policy_priority(data, plen_s, plen_d, proto, e->sport,
								  e->dport);
	if (asprintf(&e->sel, "%s|%s|%s|%d|%d|%d", e->dir, e->src, e->dst,
				 e->proto, e->sport, e->dport) < 0 ||
		asprintf(&e->key, "%s|%u", e->sel, e->priority) < 0)
	{
		e->sel = e->key = NULL;
		policy_entry_destroy(e);
		return NULL;
	}

	switch (data->type)
	{
		case POLICY_IPSEC:
			action = data->prio == POLICY_PRIORITY_ROUTED ? "trap" : "protect";
			break;
		case POLICY_DROP:
			action = "drop";
			break;
		case POLICY_PASS:
		default:
			action = "bypass";
			break;
	}
	args = ctl_args_create();
	ctl_args_str(args, "src", e->src);
	ctl_args_str(args, "dst", e->dst);
	ctl_args_str(args, "dir", e->dir);
	if (proto)
	{
		ctl_args_u64(args, "proto", proto);
	}
	if (e->sport >= 0)
	{
		ctl_args_u64(args, "sport", e->sport);
	}
	if (e->dport >= 0)
	{
		ctl_args_u64(args, "dport", e->dport);
	}
	ctl_args_str(args, "action", action);
	ctl_args_u64(args, "priority", e->priority);
	if (data->type == POLICY_IPSEC && data->sa && data->sa->reqid)
	{
		ctl_args_u64(args, "reqid", data->sa->reqid);
	}
	ctl_args_str(args, "owner", owner);
	if (id->dir == POLICY_OUT && data->type != POLICY_PASS)
	{	/* uipsecd routes dst into its TUN device (table 220) */
		ctl_args_bool(args, "route", TRUE);
		int family = id->dst_ts->get_type(id->dst_ts) == TS_IPV4_ADDR_RANGE ?
						AF_INET : AF_INET6;

		if (data->dst && !data->dst->is_anyaddr(data->dst) &&
			data->dst->get_family(data->dst) == family)
		{
			host_str(data->dst, peer, sizeof(peer));
			ctl_args_str(args, "peer", peer);
		}
	}
	e->args = strdup(ctl_args_json(args));
	ctl_args_destroy(args);
	return e;
}

/** send add-policy with the stored arguments */
static ctl_status_t send_policy(private_kernel_uipsec_ipsec_t *this,
								policy_entry_t *e, char *err, size_t errlen)
{
	ctl_args_t *args;
	ctl_status_t st;

	args = ctl_args_from_json(e->args);
	st = this->ctl->request(this->ctl, "add-policy", args, NULL, err, errlen);
	ctl_args_destroy(args);
	return st;
}

/** find a policy entry by key */
static policy_entry_t *find_policy(private_kernel_uipsec_ipsec_t *this,
								   const char *key)
{
	enumerator_t *enumerator;
	policy_entry_t *e, *found = NULL;

	enumerator = this->policies->create_enumerator(this->policies);
	while (enumerator->enumerate(enumerator, &e))
	{
		if (streq(e->key, key))
		{
			found = e;
			break;
		}
	}
	enumerator->destroy(enumerator);
	return found;
}

METHOD(kernel_ipsec_t, add_policy, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_policy_id_t *id,
	kernel_ipsec_manage_policy_t *data)
{
	char err[ERRLEN];
	policy_entry_t *e, *found;
	ctl_status_t st;

	if (id->dir == POLICY_FWD)
	{	/* uipsecd has no forward policies: decrypted packets go to TUN */
		return SUCCESS;
	}
	if (unsupported_extras("a policy", id->mark, id->if_id, id->label,
						   id->interface))
	{
		return NOT_SUPPORTED;
	}
	e = make_policy(id, data, this->ctl->get_owner(this->ctl));
	if (!e)
	{
		return NOT_SUPPORTED;
	}
	/* the lock is held across the request: a concurrent del of the same
	 * policy must not run between our count and uipsecd's state */
	this->lock->lock(this->lock);
	found = find_policy(this, e->key);
	if (found)
	{
		found->refs++;
		DBG2(DBG_KNL, "kernel-uipsec: policy %R === %R %N already installed "
			 "(%d users)", id->src_ts, id->dst_ts, policy_dir_names, id->dir,
			 found->refs);
		this->lock->unlock(this->lock);
		policy_entry_destroy(e);
		return SUCCESS;
	}
	st = send_policy(this, e, err, sizeof(err));
	if (st != CTL_OK && !(st == CTL_ERROR && err_is(err, "exists")))
	{
		this->lock->unlock(this->lock);
		DBG1(DBG_KNL, "kernel-uipsec: add-policy %R === %R %N failed: %s",
			 id->src_ts, id->dst_ts, policy_dir_names, id->dir, err);
		policy_entry_destroy(e);
		return FAILED;
	}
	e->refs = 1;
	this->policies->insert_last(this->policies, e);
	this->lock->unlock(this->lock);
	DBG2(DBG_KNL, "kernel-uipsec: added policy %R === %R %N (priority %u)",
		 id->src_ts, id->dst_ts, policy_dir_names, id->dir, e->priority);
	return SUCCESS;
}

METHOD(kernel_ipsec_t, query_policy, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_policy_id_t *id,
	kernel_ipsec_query_policy_t *data, time_t *use_time)
{
	/* charon falls back to the SAs' last use (query_sa) */
	return NOT_SUPPORTED;
}

/**
 * The id of a policy in uipsecd, by its selectors and priority (needed when
 * two of our policies share selectors: del-policy by selectors would take
 * the first). 0 if not found.
 */
static uint32_t lookup_policy_id(private_kernel_uipsec_ipsec_t *this,
								 policy_entry_t *e)
{
	char err[ERRLEN];
	ctl_args_t *args;
	JsonObject *res, *p;
	JsonArray *list;
	uint32_t id = 0;
	guint i;

	args = ctl_args_create();
	ctl_args_str(args, "owner", this->ctl->get_owner(this->ctl));
	if (this->ctl->request(this->ctl, "list-policies", args, &res, err,
						   sizeof(err)) != CTL_OK || !res)
	{
		ctl_args_destroy(args);
		return 0;
	}
	ctl_args_destroy(args);
	if (json_object_has_member(res, "policies") &&
		JSON_NODE_HOLDS_ARRAY(json_object_get_member(res, "policies")))
	{
		list = json_object_get_array_member(res, "policies");
		for (i = 0; i < json_array_get_length(list) && !id; i++)
		{
			if (!JSON_NODE_HOLDS_OBJECT(json_array_get_element(list, i)))
			{
				continue;
			}
			p = json_array_get_object_element(list, i);
			if (ctl_json_int(p, "priority", -1) == e->priority &&
				streq(ctl_json_str(p, "dir") ?: "", e->dir) &&
				streq(ctl_json_str(p, "src") ?: "", e->src) &&
				streq(ctl_json_str(p, "dst") ?: "", e->dst))
			{
				id = ctl_json_int(p, "id", 0);
			}
		}
	}
	json_object_unref(res);
	return id;
}

METHOD(kernel_ipsec_t, del_policy, status_t,
	private_kernel_uipsec_ipsec_t *this, kernel_ipsec_policy_id_t *id,
	kernel_ipsec_manage_policy_t *data)
{
	enumerator_t *enumerator;
	policy_entry_t *e, *found, *other;
	ctl_args_t *args;
	char err[ERRLEN];
	bool twin = FALSE;
	uint32_t pid = 0;
	ctl_status_t st;

	if (id->dir == POLICY_FWD)
	{
		return SUCCESS;
	}
	e = make_policy(id, data, this->ctl->get_owner(this->ctl));
	if (!e)
	{
		return NOT_FOUND;
	}
	this->lock->lock(this->lock);
	found = find_policy(this, e->key);
	policy_entry_destroy(e);
	if (!found)
	{
		this->lock->unlock(this->lock);
		DBG2(DBG_KNL, "kernel-uipsec: policy %R === %R %N not found",
			 id->src_ts, id->dst_ts, policy_dir_names, id->dir);
		return NOT_FOUND;
	}
	if (--found->refs > 0)
	{
		this->lock->unlock(this->lock);
		return SUCCESS;
	}
	this->policies->remove(this->policies, found, NULL);
	enumerator = this->policies->create_enumerator(this->policies);
	while (enumerator->enumerate(enumerator, &other))
	{
		if (streq(other->sel, found->sel))
		{
			twin = TRUE;
		}
	}
	enumerator->destroy(enumerator);
	if (twin)
	{
		pid = lookup_policy_id(this, found);
	}
	args = ctl_args_create();
	if (pid)
	{
		ctl_args_u64(args, "id", pid);
	}
	else
	{
		ctl_args_str(args, "src", found->src);
		ctl_args_str(args, "dst", found->dst);
		ctl_args_str(args, "dir", found->dir);
		if (found->proto)
		{
			ctl_args_u64(args, "proto", found->proto);
		}
		if (found->sport >= 0)
		{
			ctl_args_u64(args, "sport", found->sport);
		}
		if (found->dport >= 0)
		{
			ctl_args_u64(args, "dport", found->dport);
		}
	}
	st = this->ctl->request(this->ctl, "del-policy", args, NULL, err,
							sizeof(err));
	ctl_args_destroy(args);
	this->lock->unlock(this->lock);
	policy_entry_destroy(found);
	if (st == CTL_OK || (st == CTL_ERROR && err_is(err, "not-found")))
	{
		DBG2(DBG_KNL, "kernel-uipsec: deleted policy %R === %R %N",
			 id->src_ts, id->dst_ts, policy_dir_names, id->dir);
		return SUCCESS;
	}
	DBG1(DBG_KNL, "kernel-uipsec: del-policy %R === %R %N failed: %s",
		 id->src_ts, id->dst_ts, policy_dir_names, id->dir, err);
	return FAILED;
}

METHOD(kernel_ipsec_t, flush_policies, status_t,
	private_kernel_uipsec_ipsec_t *this)
{
	return flush(this);
}

/** set SO_MARK on a socket, unless it has a mark of its own already */
static void mark_socket(int fd, uint32_t mark)
{
	uint32_t cur = 0;
	socklen_t len = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, SO_MARK, &cur, &len) == 0 && cur &&
		cur != mark)
	{
		DBG1(DBG_KNL, "kernel-uipsec: socket %d keeps its mark 0x%x (uipsecd "
			 "marks its packets 0x%x)", fd, cur, mark);
		return;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
	{
		DBG1(DBG_KNL, "kernel-uipsec: SO_MARK 0x%x on socket %d failed: %s",
			 mark, fd, strerror(errno));
	}
}

METHOD(kernel_ipsec_t, bypass_socket, bool,
	private_kernel_uipsec_ipsec_t *this, int fd, int family)
{
	ctl_daemon_status_t st;

	this->ctl->get_status(this->ctl, &st);
	this->lock->lock(this->lock);
	/* remembered: a mark uipsecd reports later is applied then */
	this->bypass_fds->insert_last(this->bypass_fds, (void*)(intptr_t)fd);
	if (st.fwmark)
	{
		mark_socket(fd, st.fwmark);
		this->fwmark = st.fwmark;
	}
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(kernel_ipsec_t, enable_udp_decap, bool,
	private_kernel_uipsec_ipsec_t *this, int fd, int family, uint16_t port)
{
	/* uipsecd owns the ESP-in-UDP port and decapsulates itself */
	return TRUE;
}

/* ------------------------------------------------------------ events */

/** host from an address string and port, NULL if none */
static host_t *event_host(JsonObject *data, const char *name, uint16_t port)
{
	const char *s = ctl_json_str(data, name);

	return s ? host_create_from_string((char*)s, port) : NULL;
}

/** a /32 or /128 selector of one packet's address */
static traffic_selector_t *event_ts(JsonObject *data, const char *addr,
									const char *port, uint8_t proto)
{
	const char *s = ctl_json_str(data, addr);
	int64_t p = ctl_json_int(data, port, -1);
	host_t *h;
	traffic_selector_t *ts;

	h = s ? host_create_from_string((char*)s, 0) : NULL;
	if (!h)
	{
		return NULL;
	}
	if (p >= 0 && p <= 0xffff && has_ports(proto))
	{
		ts = traffic_selector_create_from_subnet(h, h->get_family(h) == AF_INET ?
												 32 : 128, proto, p, p);
	}
	else
	{
		ts = traffic_selector_create_from_subnet(h, h->get_family(h) == AF_INET ?
												 32 : 128, proto, 0, 0xffff);
	}
	return ts;	/* h is owned by ts */
}

static void on_event(private_kernel_uipsec_ipsec_t *this, const char *event,
					 JsonObject *data)
{
	const char *owner = ctl_json_str(data, "owner");
	int64_t spi = ctl_json_int(data, "spi", -1);
	kernel_acquire_data_t acquire = {};
	host_t *dst, *remote;
	uint8_t proto;
	uint32_t reqid;

	if (!owner || !streq(owner, this->ctl->get_owner(this->ctl)))
	{
		if (!streq(event, "mapping"))
		{
			return;
		}
	}
	if (streq(event, "expire-soft") || streq(event, "expire-hard"))
	{
		bool hard = streq(event, "expire-hard");

		dst = event_host(data, "dst", 0);
		if (spi < 0 || !dst)
		{
			DBG1(DBG_KNL, "kernel-uipsec: %s event without spi/dst", event);
			DESTROY_IF(dst);
			return;
		}
		DBG1(DBG_KNL, "kernel-uipsec: %s expire of SA %.8x (%s)",
			 hard ? "hard" : "soft", (uint32_t)spi,
			 ctl_json_str(data, "reason") ?: "?");
		charon->kernel->expire(charon->kernel, IPPROTO_ESP,
							   htonl((uint32_t)spi), dst, hard);
		dst->destroy(dst);
	}
	else if (streq(event, "acquire"))
	{
		reqid = ctl_json_int(data, "reqid", 0);
		proto = ctl_json_int(data, "proto", 0);
		if (!reqid)
		{
			return;
		}
		acquire.src = event_ts(data, "src", "sport", proto);
		acquire.dst = event_ts(data, "dst", "dport", proto);
		DBG1(DBG_KNL, "kernel-uipsec: acquire for reqid %u (%R === %R)", reqid,
			 acquire.src, acquire.dst);
		charon->kernel->acquire(charon->kernel, reqid, &acquire);
		DESTROY_IF(acquire.src);
		DESTROY_IF(acquire.dst);
	}
	else if (streq(event, "mapping"))
	{
		bool ours = FALSE;

		dst = event_host(data, "dst", 0);
		remote = event_host(data, "new_src",
							ctl_json_int(data, "new_sport", 0));
		if (spi >= 0 && dst)
		{	/* the event has no owner member in every uipsecd: check ours */
			this->lock->lock(this->lock);
			ours = find_sa(this, (uint32_t)spi, dst) != NULL;
			this->lock->unlock(this->lock);
		}
		if (ours && remote)
		{
			DBG1(DBG_KNL, "kernel-uipsec: mapping of SA %.8x changed to %#H",
				 (uint32_t)spi, remote);
			charon->kernel->mapping(charon->kernel, IPPROTO_ESP,
									htonl((uint32_t)spi), dst, remote);
		}
		DESTROY_IF(dst);
		DESTROY_IF(remote);
	}
}

/**
 * After the event connection was lost (uipsecd dropped a slow subscriber, or
 * the connection broke) expiry events may be missing: re-read this owner's
 * SAs, raise a soft expire for those soft-expired and a hard one for those
 * that are gone.
 */
static void resync(private_kernel_uipsec_ipsec_t *this)
{
	enumerator_t *enumerator;
	linked_list_t *soft, *hard;
	JsonObject *res, *o;
	JsonArray *list = NULL;
	ctl_args_t *args;
	char err[ERRLEN];
	sa_entry_t *e;
	host_t *dst;
	const char *state, *dir, *addr;
	uintptr_t val;
	int64_t spi;
	guint i;
	bool found;

	/* held across the request: an SA added meanwhile is not "gone" */
	this->lock->lock(this->lock);
	args = ctl_args_create();
	ctl_args_str(args, "owner", this->ctl->get_owner(this->ctl));
	if (this->ctl->request(this->ctl, "list-sas", args, &res, err,
						   sizeof(err)) != CTL_OK || !res)
	{
		this->lock->unlock(this->lock);
		ctl_args_destroy(args);
		DBG1(DBG_KNL, "kernel-uipsec: list-sas after reconnect failed: %s",
			 err);
		return;
	}
	ctl_args_destroy(args);
	if (json_object_has_member(res, "sas") &&
		JSON_NODE_HOLDS_ARRAY(json_object_get_member(res, "sas")))
	{
		list = json_object_get_array_member(res, "sas");
	}
	soft = linked_list_create();
	hard = linked_list_create();
	enumerator = this->sas->create_enumerator(this->sas);
	while (enumerator->enumerate(enumerator, &e))
	{
		found = FALSE;
		for (i = 0; list && i < json_array_get_length(list); i++)
		{
			if (!JSON_NODE_HOLDS_OBJECT(json_array_get_element(list, i)))
			{
				continue;
			}
			o = json_array_get_object_element(list, i);
			spi = ctl_json_int(o, "spi", -1);
			dir = ctl_json_str(o, "direction");
			addr = ctl_json_str(o, "dst");
			if (spi != e->spi || !dir || !addr ||
				streq(dir, "in") != e->inbound)
			{
				continue;
			}
			dst = host_create_from_string((char*)addr, 0);
			found = dst && dst->ip_equals(dst, e->dst);
			DESTROY_IF(dst);
			if (found)
			{
				state = ctl_json_str(o, "state");
				if (state && streq(state, "soft-expired"))
				{
					soft->insert_last(soft, e->dst->clone(e->dst));
					soft->insert_last(soft, (void*)(uintptr_t)e->spi);
				}
				break;
			}
		}
		if (!found)
		{
			hard->insert_last(hard, e->dst->clone(e->dst));
			hard->insert_last(hard, (void*)(uintptr_t)e->spi);
		}
	}
	enumerator->destroy(enumerator);
	this->lock->unlock(this->lock);
	json_object_unref(res);

	if (soft->get_count(soft) || hard->get_count(hard))
	{
		DBG1(DBG_KNL, "kernel-uipsec: after reconnecting: %d SAs soft "
			 "expired, %d gone", soft->get_count(soft) / 2,
			 hard->get_count(hard) / 2);
	}
	while (soft->remove_first(soft, (void**)&dst) == SUCCESS &&
		   soft->remove_first(soft, (void**)&val) == SUCCESS)
	{
		charon->kernel->expire(charon->kernel, IPPROTO_ESP,
							   htonl((uint32_t)val), dst, FALSE);
		dst->destroy(dst);
	}
	while (hard->remove_first(hard, (void**)&dst) == SUCCESS &&
		   hard->remove_first(hard, (void**)&val) == SUCCESS)
	{
		charon->kernel->expire(charon->kernel, IPPROTO_ESP,
							   htonl((uint32_t)val), dst, TRUE);
		dst->destroy(dst);
	}
	soft->destroy(soft);
	hard->destroy(hard);
}

/** make charon install virtual IPs on uipsecd's TUN device, unless set */
static void set_vip_interface(ctl_daemon_status_t *st)
{
	if (st->tun[0])
	{
		lib->settings->set_default_str(lib->settings,
							"%s.install_virtual_ip_on", st->tun, lib->ns);
	}
}

static void on_connected(private_kernel_uipsec_ipsec_t *this, bool first,
						 bool restarted, ctl_daemon_status_t *st)
{
	enumerator_t *enumerator;
	policy_entry_t *p;
	sa_entry_t *sa;
	linked_list_t *expire;
	host_t *dst;
	char err[ERRLEN];
	uintptr_t fd;
	int n = 0;

	set_vip_interface(st);
	this->lock->lock(this->lock);
	if (st->fwmark && st->fwmark != this->fwmark)
	{
		enumerator = this->bypass_fds->create_enumerator(this->bypass_fds);
		while (enumerator->enumerate(enumerator, &fd))
		{
			mark_socket((int)fd, st->fwmark);
		}
		enumerator->destroy(enumerator);
		this->fwmark = st->fwmark;
	}
	this->lock->unlock(this->lock);
	if (!restarted)
	{
		if (!first)
		{	/* the event connection dropped: events may be lost */
			resync(this);
		}
		return;
	}
	/* uipsecd restarted: it lost every SA and policy. Re-add our policies,
	 * then have charon rekey each CHILD_SA (expire its inbound SA softly:
	 * charon's kernel handler queues a rekey job). The old SAs' keys are not
	 * replayed: that would reuse sequence numbers (GCM nonces). */
	DBG1(DBG_KNL, "kernel-uipsec: uipsecd restarted (pid %" PRId64 "), "
		 "reinstalling policies and rekeying CHILD_SAs", st->pid);
	expire = linked_list_create();
	this->lock->lock(this->lock);
	enumerator = this->policies->create_enumerator(this->policies);
	while (enumerator->enumerate(enumerator, &p))
	{
		ctl_status_t rc = send_policy(this, p, err, sizeof(err));

		if (rc != CTL_OK && !(rc == CTL_ERROR && err_is(err, "exists")))
		{
			DBG1(DBG_KNL, "kernel-uipsec: re-adding policy %s failed: %s",
				 p->key, err);
		}
		else
		{
			n++;
		}
	}
	enumerator->destroy(enumerator);
	enumerator = this->sas->create_enumerator(this->sas);
	while (enumerator->enumerate(enumerator, &sa))
	{
		if (sa->inbound)
		{
			expire->insert_last(expire, (void*)(uintptr_t)sa->spi);
			expire->insert_last(expire, sa->dst->clone(sa->dst));
		}
	}
	enumerator->destroy(enumerator);
	this->lock->unlock(this->lock);
	DBG1(DBG_KNL, "kernel-uipsec: re-added %d policies, rekeying %d CHILD_SAs",
		 n, expire->get_count(expire) / 2);
	while (expire->remove_first(expire, (void**)&fd) == SUCCESS &&
		   expire->remove_first(expire, (void**)&dst) == SUCCESS)
	{
		charon->kernel->expire(charon->kernel, IPPROTO_ESP,
							   htonl((uint32_t)fd), dst, FALSE);
		dst->destroy(dst);
	}
	expire->destroy(expire);
}

METHOD(kernel_ipsec_t, destroy, void,
	private_kernel_uipsec_ipsec_t *this)
{
	this->ctl->destroy(this->ctl);
	this->sas->destroy_function(this->sas, (void*)sa_entry_destroy);
	this->policies->destroy_function(this->policies,
									 (void*)policy_entry_destroy);
	this->bypass_fds->destroy(this->bypass_fds);
	this->lock->destroy(this->lock);
	free(this);
}

/*
 * Described in header.
 */
kernel_uipsec_ipsec_t *kernel_uipsec_ipsec_create()
{
	private_kernel_uipsec_ipsec_t *this;
	ctl_daemon_status_t st;

	INIT(this,
		.public = {
			.interface = {
				.get_features = _get_features,
				.get_spi = _get_spi,
				.get_cpi = _get_cpi,
				.add_sa  = _add_sa,
				.update_sa = _update_sa,
				.query_sa = _query_sa,
				.del_sa = _del_sa,
				.flush_sas = _flush_sas,
				.add_policy = _add_policy,
				.query_policy = _query_policy,
				.del_policy = _del_policy,
				.flush_policies = _flush_policies,
				.bypass_socket = _bypass_socket,
				.enable_udp_decap = _enable_udp_decap,
				.destroy = _destroy,
			},
		},
		.ctl = uipsec_ctl_create(),
		.lock = mutex_create(MUTEX_TYPE_RECURSIVE),
		.sas = linked_list_create(),
		.policies = linked_list_create(),
		.bypass_fds = linked_list_create(),
		.spi_min = lib->settings->get_int(lib->settings, "%s.spi_min",
										  KERNEL_SPI_MIN, lib->ns),
		.spi_max = lib->settings->get_int(lib->settings, "%s.spi_max",
										  KERNEL_SPI_MAX, lib->ns),
	);
	if (this->spi_min > this->spi_max)
	{
		uint32_t tmp = this->spi_min;

		this->spi_min = this->spi_max;
		this->spi_max = tmp;
	}
	if (this->spi_min < 256)
	{
		this->spi_min = 256;
	}
	this->ctl->set_callbacks(this->ctl, (ctl_event_cb_t)on_event,
							 (ctl_connected_cb_t)on_connected, this);
	/* reach uipsecd now if it is there (the first connection flushes what
	 * a crashed charon left behind); if not, the event thread keeps trying */
	if (this->ctl->probe(this->ctl))
	{
		this->ctl->get_status(this->ctl, &st);
		set_vip_interface(&st);
	}
	else
	{
		DBG1(DBG_KNL, "kernel-uipsec: uipsecd is not running yet, connecting "
			 "later");
	}
	this->ctl->start(this->ctl);
	return &this->public;
}
